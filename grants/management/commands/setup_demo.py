from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from grants.models import Membership, Municipality

# For the local demo only: every account has the password "demo".
DEMO_ACCOUNTS = [
    ("admin", None, None, "administrator"),
    ("lyngby", Membership.Role.FINANCE, "173", "økonomimedarbejder, Lyngby-Taarbæk"),
    ("ishoj", Membership.Role.FINANCE, "183", "økonomimedarbejder, Ishøj"),
    # A second finance user each: accounts are approved by another than the one who entered them.
    ("lyngby2", Membership.Role.FINANCE, "173", "økonomimedarbejder, Lyngby-Taarbæk (nr. 2)"),
    ("ishoj2", Membership.Role.FINANCE, "183", "økonomimedarbejder, Ishøj (nr. 2)"),
    ("udvalg", Membership.Role.READER, None, "udvalgsmedlem uden kommune: kun indsendte"),
    ("udvalg-ishoj", Membership.Role.READER, "183", "udvalgsmedlem i Ishøj: også kladderne"),
]


class Command(BaseCommand):
    help = (
        "Create the demo accounts (admin, lyngby, lyngby2, ishoj, ishoj2, udvalg, udvalg-ishoj; "
        "password 'demo'). Local demo only."
    )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        User = get_user_model()
        for username, role, code, description in DEMO_ACCOUNTS:
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password("demo")
                user.is_staff = user.is_superuser = role is None
                user.save()
            if role is not None:
                municipality = Municipality.objects.get(code=code) if code else None
                Membership.objects.update_or_create(
                    user=user, defaults={"role": role, "municipality": municipality}
                )
            self.stdout.write(f"  {username:12} / demo   {description}")
