"""CSV import of contacts (Settings → Contacts → Import, issue 12).

An uploaded file is stored through `default_storage` and read back as a stream; a mapping
turns each row into a `contacts.upsert.UpsertItem`; the dry run and the import both go
through `contacts.upsert.upsert_contacts`, a chunk of 1,000 rows at a time. See
contacts/README_IMPORT.md.
"""
