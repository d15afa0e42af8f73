"""Drawing a certificate's PDF without stopping the served process's other requests.

The served process is one gevent event loop: a PDF drawn in it (0.15-1.6 s of CPU) would stall every live page
for that long. So it is drawn in gevent's thread pool, while the loop serves others; a PDF is drawn once, when
its certificate is issued (docs/certificates.md has the measurements). Outside gevent (tests, ``flask``
commands) it is drawn in the calling thread.
"""

from __future__ import annotations

from pathlib import Path

from workshop.certificates import pdf
from workshop.certificates.fonts import FontsNotReady, cache_folder, prepare_all
from workshop.errors import ValidationError

FONTS_NOT_READY = ("Certificates cannot be drawn right now: the server's fonts for them are not prepared. "
                   "Please try again later, and tell the organizers if this goes on.")


def _on_gevent() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading")


def render(text: pdf.CertificateText, font_folder: Path) -> bytes:
    """The PDF; ValidationError (503) when a font was not prepared before serving: none is made in a request."""
    try:
        if _on_gevent():
            import gevent

            return gevent.get_hub().threadpool.apply(pdf.render, (text, font_folder))
        return pdf.render(text, font_folder)
    except FontsNotReady:
        raise ValidationError({"certificate": FONTS_NOT_READY}, status=503) from None


def prepare_fonts_in_background(app) -> None:
    """What a served process calls as it starts: any missing font is made in a thread of its own, so the process
    answers at once (a fresh machine takes a minute or two, later starts find them made). A certificate asked
    for meanwhile gets the 503 above; none is made in a request."""
    folder = cache_folder(app.config["CERTIFICATE_FONT_CACHE"])
    if _on_gevent():
        import gevent

        gevent.get_hub().threadpool.spawn(prepare_all, folder)
    else:
        import threading

        threading.Thread(target=prepare_all, args=(folder,), name="certificate fonts", daemon=True).start()

