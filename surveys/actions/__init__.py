"""Every write of the surveys app (DESIGN.md §3): the surveys themselves, their invitations
(on resolve, by hand, in a campaign) and the customers' answers. Each action is keyword-only,
atomic, and leaves a SurveyEvent (and, on a conversation, a ConversationEvent)."""
