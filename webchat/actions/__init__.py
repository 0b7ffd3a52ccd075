"""Every write of the web chat: the widget's settings (`widgets`) and what visitors do
(`visitors`)."""
