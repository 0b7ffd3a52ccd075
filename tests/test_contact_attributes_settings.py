"""Settings → Contact attributes: admins order, show, hide, add, edit and remove attributes."""

import pytest
from django.urls import reverse

from contacts.attributes import BUILTINS, ensure_builtin_definitions
from contacts.models import AttributeDefinition, AttributeType

HTMX = {"HX-Request": "true"}

ADMIN_ONLY_URLS = [
    ("get", "contact_settings:attributes", False),
    ("post", "contact_settings:attributes_reorder", False),
    ("get", "contact_settings:attribute_add", False),
    ("post", "contact_settings:attribute_add", False),
    ("get", "contact_settings:attribute_edit", True),
    ("post", "contact_settings:attribute_edit", True),
    ("post", "contact_settings:attribute_move", True),
    ("post", "contact_settings:attribute_visibility", True),
    ("post", "contact_settings:attribute_remove", True),
]


@pytest.fixture(autouse=True)
def builtins(db):
    # A browser test earlier in the run may have flushed the migration's rows.
    ensure_builtin_definitions()


@pytest.fixture
def admin(client_for, ada):
    return client_for(ada)


def order() -> list[str]:
    return list(
        AttributeDefinition.objects.order_by("position", "id").values_list("key", flat=True)
    )


def positions() -> list[int]:
    return list(
        AttributeDefinition.objects.order_by("position", "id").values_list("position", flat=True)
    )


def definition(key: str) -> AttributeDefinition:
    return AttributeDefinition.objects.get(key=key)


def custom(key: str = "customer_since", **fields) -> AttributeDefinition:
    fields = {"label": "Customer since", "type": AttributeType.DATE, **fields}
    return AttributeDefinition.objects.create(key=key, position=len(order()), **fields)


# --- Access ---------------------------------------------------------------------------------


def test_the_access_list_covers_every_url():
    from contacts import settings_urls

    named = {f"contact_settings:{p.name}" for p in settings_urls.urlpatterns}
    named.discard("contact_settings:deleted_contacts")  # its own test file
    # Imports are for admins and managers: tests/test_contact_import_access.py.
    named -= {name for name in named if name.startswith("contact_settings:import")}

    assert named == {name for _method, name, _takes_id in ADMIN_ONLY_URLS}


@pytest.mark.parametrize("persona", ["alice", "max_manager"])
@pytest.mark.parametrize(("method", "name", "takes_id"), ADMIN_ONLY_URLS)
def test_every_url_is_denied_to_agents_and_managers(
    request, client_for, persona, method, name, takes_id
):
    company = definition("company")
    client = client_for(request.getfixturevalue(persona))
    url = reverse(name, args=[company.id]) if takes_id else reverse(name)
    before = list(AttributeDefinition.objects.values_list("key", "position", "visible", "label"))

    response = getattr(client, method)(
        url,
        {"order": [], "direction": "up", "label": "Hacked", "key": "hacked", "type": "text"},
    )

    assert response.status_code == 403
    after = list(AttributeDefinition.objects.values_list("key", "position", "visible", "label"))
    assert after == before


def test_the_list_shows_every_attribute_in_order_with_a_fixed_query_count(
    admin, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        few = admin.get(reverse("contact_settings:attributes"))
    for number in range(30):
        custom(key=f"extra_{number}", label=f"Extra {number}")
    with django_assert_max_num_queries(4):
        many = admin.get(reverse("contact_settings:attributes"))

    assert few.status_code == many.status_code == 200
    html = few.content.decode()
    shown = [html.index(f'data-key="{key}"') for key, _type, _choices in BUILTINS]
    assert shown == sorted(shown)
    assert "Visible to agents" in html
    assert "Sortable-1.15.7" in html and "sortable-lists" in html
    assert many.content.count(b'class="attr-row') == len(BUILTINS) + 30


# --- Order ----------------------------------------------------------------------------------


def test_an_admin_saves_a_new_order_from_a_drag_and_drop(admin):
    ids = list(AttributeDefinition.objects.order_by("position").values_list("id", flat=True))
    company = definition("company")
    ids.remove(company.id)
    ids.insert(0, company.id)

    response = admin.post(
        reverse("contact_settings:attributes_reorder"), {"order": ids}, headers=HTMX
    )

    assert response.status_code == 200
    assert order()[0] == "company" and order()[1] == "first_name"
    assert positions() == list(range(len(ids)))
    html = response.content.decode()
    assert html.startswith('\n<div id="attribute-list"') or 'id="attribute-list"' in html[:200]
    assert "<html" not in html
    assert "Order saved." in html


def test_without_htmx_a_new_order_redirects_back_to_the_list(admin):
    ids = list(AttributeDefinition.objects.order_by("-position").values_list("id", flat=True))

    response = admin.post(reverse("contact_settings:attributes_reorder"), {"order": ids})

    assert response.status_code == 302
    assert response["Location"] == reverse("contact_settings:attributes")
    assert order() == [key for key, _type, _choices in reversed(BUILTINS)]


@pytest.mark.parametrize(
    "change",
    ["missing_one", "duplicate", "unknown_id", "not_a_number", "empty"],
)
def test_an_incomplete_or_forged_order_is_a_400_and_saves_nothing(admin, change):
    ids = [
        str(pk)
        for pk in AttributeDefinition.objects.order_by("position").values_list("id", flat=True)
    ]
    if change == "missing_one":
        ids = ids[1:][::-1]
    elif change == "duplicate":
        ids = [ids[1], *ids[1:]][::-1]
    elif change == "unknown_id":
        ids = ["999999", *ids][::-1]
    elif change == "not_a_number":
        ids = ["first", *ids[1:]][::-1]
    else:
        ids = []
    before = order()

    response = admin.post(
        reverse("contact_settings:attributes_reorder"), {"order": ids}, headers=HTMX
    )

    assert response.status_code == 400
    assert "The order was not saved" in response.content.decode()
    assert order() == before
    # The stored order comes back, so the page does not keep showing an unsaved one.
    assert 'id="attribute-list"' in response.content.decode()


def test_move_down_and_up_swap_with_the_neighbour_and_mark_the_row_for_focus(admin):
    company = definition("company")
    url = reverse("contact_settings:attribute_move", args=[company.id])

    down = admin.post(url, {"direction": "down"}, headers=HTMX)

    assert order()[4:6] == ["job_title", "company"]
    assert positions() == list(range(len(BUILTINS)))
    html = down.content.decode()
    assert (
        f'id="attribute-{company.id}" class="attr-row" data-key="company" data-focus="down"' in html
    )
    assert "“Company” moved down." in html

    admin.post(url, {"direction": "up"}, headers=HTMX)
    admin.post(url, {"direction": "up"}, headers=HTMX)

    assert order()[3:6] == ["company", "phone", "job_title"]


def test_without_htmx_a_move_redirects_to_the_row(admin):
    company = definition("company")

    response = admin.post(
        reverse("contact_settings:attribute_move", args=[company.id]), {"direction": "up"}
    )

    assert response.status_code == 302
    assert response["Location"].endswith(f"#attribute-{company.id}")
    assert order()[3:5] == ["company", "phone"]


def test_the_first_cannot_move_up_nor_the_last_down(admin):
    first, last = definition(BUILTINS[0][0]), definition(BUILTINS[-1][0])
    before = order()

    admin.post(reverse("contact_settings:attribute_move", args=[first.id]), {"direction": "up"})
    admin.post(reverse("contact_settings:attribute_move", args=[last.id]), {"direction": "down"})
    page = admin.get(reverse("contact_settings:attributes")).content.decode()

    assert order() == before
    assert "moved" not in page
    assert page.count("disabled>") == 2


def test_a_bad_direction_is_a_400(admin):
    company = definition("company")

    response = admin.post(
        reverse("contact_settings:attribute_move", args=[company.id]), {"direction": "sideways"}
    )

    assert response.status_code == 400
    assert order() == [key for key, _type, _choices in BUILTINS]


@pytest.mark.parametrize(
    ("method", "name"), [(method, name) for method, name, takes_id in ADMIN_ONLY_URLS if takes_id]
)
def test_an_unknown_attribute_is_a_404(admin, method, name):
    response = getattr(admin, method)(reverse(name, args=[999999]), {"direction": "up"})

    assert response.status_code == 404


# --- Visibility -----------------------------------------------------------------------------


def test_the_switch_hides_and_shows_an_attribute(admin):
    company = definition("company")
    url = reverse("contact_settings:attribute_visibility", args=[company.id])

    hidden = admin.post(url, {}, headers=HTMX)

    company.refresh_from_db()
    assert not company.visible
    assert "“Company” is now hidden from agents." in hidden.content.decode()
    assert 'data-focus="visible"' in hidden.content.decode()

    shown = admin.post(url, {"visible": "on"})

    company.refresh_from_db()
    assert company.visible
    assert shown.status_code == 302
    follow = admin.get(shown["Location"]).content.decode()
    assert "“Company” is now visible to agents." in follow


# --- Add, edit, remove ----------------------------------------------------------------------


def test_an_admin_adds_a_custom_attribute_with_a_key_derived_from_the_label(admin):
    response = admin.post(
        reverse("contact_settings:attribute_add"),
        {
            "label": "Customer since",
            "key": "",
            "type": "date",
            "choices": "",
            "visible": "on",
            "agent_editable": "on",
        },
    )

    added = definition("customer_since")
    assert response.status_code == 302
    assert response["Location"].endswith(f"#attribute-{added.id}")
    assert (added.label, added.type, added.is_builtin) == ("Customer since", "date", False)
    assert added.visible and added.agent_editable and not added.read_only
    assert order()[-1] == "customer_since"
    assert positions() == list(range(len(BUILTINS) + 1))
    assert "“Customer since” is added." in admin.get(response["Location"]).content.decode()


def test_a_choice_attribute_keeps_its_choices_one_per_line(admin):
    admin.post(
        reverse("contact_settings:attribute_add"),
        {
            "label": "Plan",
            "key": "plan",
            "type": "choice",
            "choices": "Basic\r\n\r\n Pro \r\nBasic\r\nEnterprise",
        },
    )

    plan = definition("plan")
    assert plan.choices == ["Basic", "Pro", "Enterprise"]
    assert not plan.visible


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"label": "Firma", "key": "company"}, "key", "already used by “Company”"),
        ({"label": "Company"}, "key", "already used by “Company”"),
        (
            {"label": "Plan", "key": "plan", "type": "choice"},
            "choices",
            "needs at least one choice",
        ),
        ({"label": "Plan", "key": "plan", "choices": "A\nB"}, "choices", "Only the Choice type"),
        ({"label": "Plan", "key": "Plan-Level"}, "key", "lower-case letters"),
        ({"label": "2nd phone"}, "key", "Enter a key"),
        ({"label": ""}, "label", "This field is required"),
    ],
)
def test_bad_input_explains_itself_and_adds_nothing(admin, data, field, message):
    before = AttributeDefinition.objects.count()

    response = admin.post(reverse("contact_settings:attribute_add"), {"type": "text", **data})

    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert message in html
    assert AttributeDefinition.objects.count() == before


def test_a_key_already_taken_by_a_custom_attribute_is_refused(admin):
    custom(key="plan", label="Plan")

    response = admin.post(
        reverse("contact_settings:attribute_add"), {"label": "Plan", "key": "plan", "type": "text"}
    )

    assert response.status_code == 422
    assert "The key “plan” is already used by “Plan”." in response.content.decode()


def test_an_admin_edits_a_custom_attribute_but_not_its_key(admin):
    plan = custom(key="plan", label="Plan", type=AttributeType.TEXT)

    response = admin.post(
        reverse("contact_settings:attribute_edit", args=[plan.id]),
        {
            "label": "Plan level",
            "key": "hijacked",
            "type": "choice",
            "choices": "Basic\nPro",
            "read_only": "on",
        },
    )

    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.key, plan.label, plan.type, plan.choices) == (
        "plan",
        "Plan level",
        "choice",
        ["Basic", "Pro"],
    )
    assert plan.read_only and not plan.visible and not plan.agent_editable


def test_a_built_in_attribute_only_takes_visibility_and_agent_editing(admin):
    company = definition("company")
    page = admin.get(reverse("contact_settings:attribute_edit", args=[company.id])).content.decode()

    response = admin.post(
        reverse("contact_settings:attribute_edit", args=[company.id]),
        {"label": "Firm", "key": "firm", "type": "number", "visible": "on"},
    )

    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.key, company.label, company.type) == ("company", "Company", "text")
    assert company.visible and not company.agent_editable
    assert 'name="label"' not in page and 'name="type"' not in page
    assert "Remove attribute" not in page


def test_an_admin_removes_a_custom_attribute_and_contacts_keep_their_values(admin):
    from contacts.actions import create_contact
    from contacts.models import Contact

    plan = custom(key="plan", label="Plan", type=AttributeType.TEXT)
    contact = create_contact(actor=None, first_name="Lena")
    Contact.objects.filter(pk=contact.pk).update(attributes={"plan": "Pro"})
    edit_page = admin.get(
        reverse("contact_settings:attribute_edit", args=[plan.id])
    ).content.decode()

    response = admin.post(reverse("contact_settings:attribute_remove", args=[plan.id]))

    assert "data-confirm=" in edit_page and "values stored on contacts are kept" in edit_page
    assert response.status_code == 302
    assert not AttributeDefinition.objects.filter(key="plan").exists()
    assert positions() == list(range(len(BUILTINS)))
    contact.refresh_from_db()
    assert contact.attributes == {"plan": "Pro"}
    assert "“Plan” is removed." in admin.get(response["Location"]).content.decode()


def test_a_built_in_attribute_cannot_be_removed(admin):
    company = definition("company")

    response = admin.post(reverse("contact_settings:attribute_remove", args=[company.id]))

    assert AttributeDefinition.objects.filter(key="company").exists()
    assert response.status_code == 302
    follow = admin.get(response["Location"]).content.decode()
    assert "“Company” is built in and cannot be removed; hide it instead." in follow
