"""Channels other than the web: faxes (read by OCR), e-mails and typed text, each turned into the
`method-browsed` event every job starts as; a spool folder feeds them from a fax or mail server."""
