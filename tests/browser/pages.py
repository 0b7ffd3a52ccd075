"""Steps that several browser tests take."""


def log_in(page, email: str, password: str, *, button: str = "Log in") -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name=button).click()
    page.wait_for_url("**/inbox/")
