"""What a person types as contact details, checked by the libraries made for it before anything is kept:
an e-mail address by `email-validator` (its syntax only: no network is asked), a phone number by
`phonenumbers` (Google's numbering plans; a number without +country code is read as a UK one). Each
error says what is wrong in the person's words; the number is kept in its international form."""

from __future__ import annotations

from typing import Annotated

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator

DEFAULT_PHONE_REGION = "GB"  # the region a number written without "+" and a country code is read in


def checked_email(value: str | None) -> str | None:
    """The address as the person wrote it, normalised; ValueError with the reason when it cannot be one."""
    if value is None or not value.strip():
        return None
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"this is not an e-mail address: {_sentence(str(exc))}") from None


def checked_phone(value: str) -> str:
    """The number in its international form ("+44 20 7946 0018"); ValueError when it cannot be dialled."""
    try:
        number = phonenumbers.parse(value, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise ValueError(
            "this is not a phone number: give digits, with +country code if not in the UK"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("this phone number cannot be dialled: check its digits and its +country code")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].lower() + text[1:]


Email = Annotated[str | None, AfterValidator(checked_email)]
Phone = Annotated[str, AfterValidator(checked_phone)]
