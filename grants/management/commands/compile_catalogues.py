from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Compile the gettext catalogues (locale/*/LC_MESSAGES/*.po -> .mo) with polib, so the "
        "set-up needs no system gettext tools (Django's compilemessages needs msgfmt)."
    )

    def handle(self, *args, **options) -> None:
        count = 0
        for root in settings.LOCALE_PATHS:
            for po_path in sorted(Path(root).glob("*/LC_MESSAGES/*.po")):
                catalogue = polib.pofile(str(po_path))
                catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
                count += 1
                self.stdout.write(
                    f"  {po_path.relative_to(settings.BASE_DIR)}: "
                    f"{catalogue.percent_translated()} % oversat"
                )
        self.stdout.write(self.style.SUCCESS(f"Compiled {count} catalogue(s)."))
