"""Stand-in for users.utils.clean_username, which NetBox forces as SOCIAL_AUTH_CLEAN_USERNAME_FUNCTION.

NetBox's drops what social-core's storage regexes call non-ASCII and special characters, and colons.
"""

from social_core.storage import NO_ASCII_REGEX, NO_SPECIAL_REGEX


def clean_username(value):
    return NO_SPECIAL_REGEX.sub("", NO_ASCII_REGEX.sub("", value)).replace(":", "")
