"""The Settings navigation: every group once, with all of its sections under it."""

from django.urls import reverse

from accounts.settings_sections import sections_for


def test_each_group_heading_appears_once_with_all_its_sections(ada):
    groups = [str(section.group) for section in sections_for(ada)]

    seen: list[str] = []
    for group in groups:
        if not seen or seen[-1] != group:
            assert group not in seen, f"{group} appears twice in {groups}"
            seen.append(group)


def test_the_page_shows_one_account_heading(client_for, ada):
    response = client_for(ada).get(reverse("settings:organisation"))

    assert response.status_code == 200
    assert response.content.decode().count('class="settings-nav-group"') == len(
        {str(section.group) for section in sections_for(ada)}
    )
