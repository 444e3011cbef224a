from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class MembershipBackend(ModelBackend):
    """Django's model backend, loading the user's membership (role and municipality) with the
    user: every page needs it (navigation, permissions), so it costs no query of its own."""

    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = User._default_manager.select_related("membership__municipality").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
