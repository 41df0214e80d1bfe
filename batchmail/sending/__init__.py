"""From pieces to mails that left: composing messages, the outbox and its journal, dispatch at an account's pace,
recording what was sent, and `transports/`, the ways out. Stores reach it only as the Protocols it declares."""
