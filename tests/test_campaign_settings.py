"""Settings → Inboxes → an inbox → Campaigns, over HTTP: who may open it, and every change
leaving an InboxEvent."""

import pytest
from django.urls import reverse

from campaigns.keywords import match_keyword
from campaigns.models import CampaignSettings, OptOutKeyword
from inbox.models import InboxEvent
from tests.factories import inbox_with

KIND = InboxEvent.Kind.CAMPAIGN_SETTINGS_CHANGED


@pytest.fixture
def inbox_a(alice, max_manager):
    return inbox_with("Service", "open", members=[alice], managers=[max_manager])


@pytest.fixture
def inbox_b(bob):
    return inbox_with("Vertrieb", "open", members=[bob])


def page(inbox):
    return reverse("campaign_settings:inbox_campaigns", args=[inbox.pk])


def events(inbox):
    return list(InboxEvent.objects.filter(inbox=inbox, kind=KIND).order_by("id"))


def settings_of(inbox):
    return CampaignSettings.objects.for_inbox(inbox)


# --- Who may open it ----------------------------------------------------------------------------


def test_the_manager_sees_the_page_with_the_defaults(client_for, max_manager, inbox_a):
    response = client_for(max_manager).get(page(inbox_a))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Nordlicht GmbH: …" in content  # the company-name preview
    assert "Sie erhalten keine weiteren Nachrichten" in content  # the default confirmation
    for word in ["STOP", "ENDE", "ABBRUCH", "UNSUBSCRIBE", "BEENDEN", "STOPP", "HJÄLP"]:
        assert f'data-keyword="{word}"' in content


def test_an_admin_manages_every_inbox(client_for, ada, inbox_a):
    assert client_for(ada).get(page(inbox_a)).status_code == 200


def test_a_member_may_not(client_for, alice, inbox_a):
    client = client_for(alice)

    assert client.get(page(inbox_a)).status_code == 403
    assert client.post(page(inbox_a), {"opt_out_enabled": "on"}).status_code == 403
    assert not events(inbox_a)


def test_another_inboxs_agent_gets_404_everywhere(client_for, bob, inbox_a, inbox_b):
    keyword = settings_of(inbox_a) and OptOutKeyword.objects.filter(inbox=inbox_a).first()
    client = client_for(bob)
    urls = [
        page(inbox_a),
        reverse("campaign_settings:inbox_campaign_texts", args=[inbox_a.pk]),
        reverse("campaign_settings:inbox_campaign_rates", args=[inbox_a.pk]),
        reverse("campaign_settings:inbox_keyword_add", args=[inbox_a.pk]),
        reverse("campaign_settings:inbox_keyword_remove", args=[inbox_a.pk, keyword.pk]),
    ]

    for url in urls:
        assert (
            client.post(url, {"keyword": "X", "language": "de", "action": "help"}).status_code
            == 404
        )
    assert client.get(page(inbox_a)).status_code == 404
    assert OptOutKeyword.objects.filter(pk=keyword.pk).exists() and not events(inbox_a)


def test_a_keyword_of_another_inbox_is_not_found_through_this_one(
    client_for, max_manager, inbox_a, bob, inbox_b
):
    other = settings_of(inbox_b) and OptOutKeyword.objects.filter(inbox=inbox_b).first()

    response = client_for(max_manager).post(
        reverse("campaign_settings:inbox_keyword_remove", args=[inbox_a.pk, other.pk])
    )

    assert response.status_code == 404 and OptOutKeyword.objects.filter(pk=other.pk).exists()


def test_the_inbox_page_links_to_it(client_for, max_manager, inbox_a):
    response = client_for(max_manager).get(
        reverse("inbox_settings:inbox_detail", args=[inbox_a.pk])
    )

    assert page(inbox_a) in response.content.decode()


# --- Switches -----------------------------------------------------------------------------------


def test_switches_are_saved_and_each_change_leaves_an_event(client_for, max_manager, inbox_a):
    response = client_for(max_manager).post(
        page(inbox_a),
        {"insert_company_name": "on", "opt_out_enabled": "on"},  # confirmation switched off
    )

    assert response.status_code == 302
    settings = settings_of(inbox_a)
    assert settings.insert_company_name and settings.opt_out_enabled
    assert not settings.confirmation_enabled
    assert [(e.data["setting"], e.data["new"], e.actor) for e in events(inbox_a)] == [
        ("insert_company_name", True, max_manager),
        ("confirmation_enabled", False, max_manager),
    ]


def test_saving_nothing_new_leaves_no_event(client_for, max_manager, inbox_a):
    client_for(max_manager).post(
        page(inbox_a), {"opt_out_enabled": "on", "confirmation_enabled": "on"}
    )

    assert not events(inbox_a)


def test_turning_opt_out_handling_off_stops_keyword_matching(client_for, max_manager, inbox_a):
    assert match_keyword(inbox_a, "STOP") is not None

    client_for(max_manager).post(page(inbox_a), {"confirmation_enabled": "on"})

    assert match_keyword(inbox_a, "STOP") is None


def test_the_message_assistant_records_who_accepted_its_terms(client_for, max_manager, inbox_a):
    response = client_for(max_manager).post(
        page(inbox_a),
        {"opt_out_enabled": "on", "confirmation_enabled": "on", "assistant_enabled": "on"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    settings = settings_of(inbox_a)
    assert settings.assistant_enabled and settings.assistant_terms_accepted_by == max_manager
    assert settings.assistant_terms_accepted_at is not None
    assert "Terms accepted by Max Manager" in response.content.decode()
    assert [e.data["setting"] for e in events(inbox_a)] == ["assistant_enabled"]


# --- Texts --------------------------------------------------------------------------------------


def texts(**overrides):
    data = {
        f"{kind}_{lang}": "" for kind in ("confirmation", "help") for lang in ("en", "de", "sv")
    }
    return {**data, **overrides}


def test_an_own_confirmation_text_is_saved_per_language(client_for, max_manager, inbox_a):
    text = "{{ account.company_name }}: Abgemeldet, {{ contact.first_name | default: 'du' }}."

    response = client_for(max_manager).post(
        reverse("campaign_settings:inbox_campaign_texts", args=[inbox_a.pk]),
        texts(confirmation_de=text),
    )

    assert response.status_code == 302
    assert settings_of(inbox_a).confirmation_texts == {"de": text}
    [event] = events(inbox_a)
    assert event.data["setting"] == "confirmation_texts" and event.data["new"] == {"de": text}


def test_a_text_with_an_unknown_variable_is_refused(client_for, max_manager, inbox_a):
    response = client_for(max_manager).post(
        reverse("campaign_settings:inbox_campaign_texts", args=[inbox_a.pk]),
        texts(help_en="Hi {{ contact.shoe_size }}"),
    )

    assert response.status_code == 422
    assert "contact.shoe_size" in response.content.decode()
    assert settings_of(inbox_a).help_texts == {} and not events(inbox_a)


def test_the_default_text_sent_back_unchanged_stays_the_default(client_for, max_manager, inbox_a):
    from campaigns.keywords import DEFAULT_CONFIRMATIONS

    client_for(max_manager).post(
        reverse("campaign_settings:inbox_campaign_texts", args=[inbox_a.pk]),
        texts(confirmation_sv=DEFAULT_CONFIRMATIONS["sv"]),
    )

    assert settings_of(inbox_a).confirmation_texts == {} and not events(inbox_a)


# --- Rates --------------------------------------------------------------------------------------


def test_the_sending_rate_per_channel(client_for, max_manager, inbox_a):
    url = reverse("campaign_settings:inbox_campaign_rates", args=[inbox_a.pk])

    response = client_for(max_manager).post(url, {"sms": "30", "whatsapp": "1", "email": "10"})

    assert response.status_code == 302
    assert settings_of(inbox_a).rate_for("sms") == 30.0
    [event] = events(inbox_a)
    assert event.data == {"setting": "rates", "old": {"sms": 1.0}, "new": {"sms": 30.0}}


def test_a_rate_out_of_range_is_refused(client_for, max_manager, inbox_a):
    url = reverse("campaign_settings:inbox_campaign_rates", args=[inbox_a.pk])

    response = client_for(max_manager).post(url, {"sms": "5000", "whatsapp": "0", "email": "x"})

    assert response.status_code == 422
    assert settings_of(inbox_a).rates == {} and not events(inbox_a)


# --- Keywords -----------------------------------------------------------------------------------


def add(client, inbox, **data):
    return client.post(
        reverse("campaign_settings:inbox_keyword_add", args=[inbox.pk]),
        data,
        headers={"HX-Request": "true"},
    )


def test_a_keyword_is_added_normalised(client_for, max_manager, inbox_a):
    response = add(
        client_for(max_manager), inbox_a, language="de", action="opt_out", keyword="  aufhören! "
    )

    assert response.status_code == 200
    assert 'data-keyword="AUFHÖREN"' in response.content.decode()
    assert OptOutKeyword.objects.filter(inbox=inbox_a, keyword="AUFHÖREN", language="de").exists()
    assert match_keyword(inbox_a, "Aufhören.").action == "opt_out"
    [event] = events(inbox_a)
    assert event.data == {
        "setting": "keyword_added",
        "keyword": "AUFHÖREN",
        "language": "de",
        "action": "opt_out",
    }


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"language": "de", "action": "opt_out", "keyword": "stop"}, "is in this list already"),
        ({"language": "en", "action": "opt_in", "keyword": "Ende"}, "a keyword has one meaning"),
        ({"language": "de", "action": "help", "keyword": "?!"}, "Write a keyword"),
        ({"language": "fr", "action": "help", "keyword": "AIDE"}, "Select a valid choice"),
        ({"language": "de", "action": "help", "keyword": "x" * 60}, "At most 50 characters"),
    ],
)
def test_a_keyword_that_does_not_fit_is_refused(client_for, max_manager, inbox_a, data, error):
    response = add(client_for(max_manager), inbox_a, **data)

    assert response.status_code == 422
    assert error in response.content.decode()
    assert not events(inbox_a)


def test_a_keyword_is_removed(client_for, max_manager, inbox_a):
    keyword = settings_of(inbox_a) and OptOutKeyword.objects.get(inbox=inbox_a, keyword="ABBRUCH")

    response = client_for(max_manager).post(
        reverse("campaign_settings:inbox_keyword_remove", args=[inbox_a.pk, keyword.pk])
    )

    assert response.status_code == 302
    assert not OptOutKeyword.objects.filter(pk=keyword.pk).exists()
    assert match_keyword(inbox_a, "Abbruch") is None
    assert [e.data["setting"] for e in events(inbox_a)] == ["keyword_removed"]


def test_the_last_opt_out_keyword_stays(client_for, max_manager, inbox_a):
    settings_of(inbox_a)
    last, *others = OptOutKeyword.objects.filter(inbox=inbox_a, action="opt_out")
    OptOutKeyword.objects.filter(pk__in=[k.pk for k in others]).delete()

    response = client_for(max_manager).post(
        reverse("campaign_settings:inbox_keyword_remove", args=[inbox_a.pk, last.pk]),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 422
    assert "Keep at least one opt-out keyword." in response.content.decode()
    assert OptOutKeyword.objects.filter(pk=last.pk).exists() and not events(inbox_a)
