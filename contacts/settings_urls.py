from django.urls import path

from contacts import settings_views as views
from contacts.csv_import import views as import_views

app_name = "contact_settings"

urlpatterns = [
    path("contact-attributes/", views.attributes, name="attributes"),
    path("contact-attributes/new/", views.attribute_add, name="attribute_add"),
    path("contact-attributes/order/", views.attributes_reorder, name="attributes_reorder"),
    path("contact-attributes/<int:attribute_id>/", views.attribute_edit, name="attribute_edit"),
    path(
        "contact-attributes/<int:attribute_id>/move/",
        views.attribute_move,
        name="attribute_move",
    ),
    path(
        "contact-attributes/<int:attribute_id>/visibility/",
        views.attribute_visibility,
        name="attribute_visibility",
    ),
    path(
        "contact-attributes/<int:attribute_id>/remove/",
        views.attribute_remove,
        name="attribute_remove",
    ),
    path("deleted-contacts/", views.deleted_contacts, name="deleted_contacts"),
    path("contact-imports/", import_views.imports, name="imports"),
    path("contact-imports/<int:import_id>/", import_views.import_detail, name="import_detail"),
    path("contact-imports/<int:import_id>/start/", import_views.import_start, name="import_start"),
    path(
        "contact-imports/<int:import_id>/cancel/",
        import_views.import_cancel,
        name="import_cancel",
    ),
    path(
        "contact-imports/<int:import_id>/errors.csv",
        import_views.import_errors,
        name="import_errors",
    ),
]
