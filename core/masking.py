"""Server-side masking of personal data (PIPL): 138****1234, 430102********1234."""


def mask_phone(phone: str | None) -> str:
    """Return the phone number with its middle four digits hidden."""
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_id_number(id_number: str | None) -> str:
    """Return an ID number with only its first 6 and last 4 characters shown."""
    if not id_number:
        return ""
    if len(id_number) <= 10:
        return "*" * len(id_number)
    return f"{id_number[:6]}{'*' * (len(id_number) - 10)}{id_number[-4:]}"


def mask_name(name: str | None) -> str:
    """Return a name with all but its first character hidden (张**)."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)
