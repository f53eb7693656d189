"""User models shaped like NetBox 4.5 and later: no is_staff field."""
