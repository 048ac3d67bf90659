"""Platform adapters: each one translates platform events into core commands and core replies
into native messages. No business rule lives here."""
