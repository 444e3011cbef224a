from grants import permissions


def membership(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "user_membership": permissions.membership(user),
        "user_can_write": permissions.is_writer(user),
        "user_is_admin": permissions.is_admin(user),
    }
