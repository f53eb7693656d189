"""Stand-in for NetBox's ``users`` package: only what its settings name (users.utils.clean_username)."""
