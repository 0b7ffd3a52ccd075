"""Twilio: SMS and WhatsApp, everything about it in this folder.

- `outbound`: sending through the Messages API (SMS_BACKEND=twilio picks this package's `send`,
  and campaigns.senders its `send_text`);
- `webhooks` and `urls`: the inbound and status webhooks, under /webhooks/twilio/;
- `inbound`: a stored inbound form routed into its inbox (inbox.inbound runs it in a task);
- `media`: MMS and WhatsApp media fetched into attachments by a task.
"""

from inbox.channels.twilio.outbound import send, send_text

__all__ = ["send", "send_text"]
