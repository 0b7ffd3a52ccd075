"""Steps that several browser tests take."""

from pathlib import Path


def log_in(page, email: str, password: str, *, button: str = "Log in") -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name=button).click()
    page.wait_for_url("**/inbox/")


# What no screen may do at any width or in any language (issue 11), and labels made longer
# to prove it: tests/browser/screen_checks.js, run in the page (page.evaluate is not an
# inline script, so the CSP does not apply to it).
SCREEN_CHECKS = (Path(__file__).with_name("screen_checks.js")).read_text()


def overflowing(page, *, strict: bool = True) -> list[str]:
    """What on the page scrolls the page sideways, is cut, spills out of its box or (when
    strict) wraps where it must not. Ellipses and tables scrolling in their card pass."""
    return page.evaluate(f"(strict) => ({SCREEN_CHECKS}).overflowing(strict)", strict)


def lengthen_labels(page) -> None:
    """Every label, button and tab 40 % longer — German runs about a third longer than
    English, and the translations come at the end."""
    page.evaluate(f"() => ({SCREEN_CHECKS}).lengthen()")
