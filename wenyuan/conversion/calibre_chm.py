"""``ebook-convert`` for CHM files, run by calibre's own Python (``calibre-debug THIS …``).

calibre 6.13 (Debian 12) fails on every CHM that has a table of contents: its CHM input
hands the book to the HTML input's ``create_oebbook`` without setting the
``root_dir_of_input`` that method checks each link against (``AttributeError``).  This sets
it as calibre's own HTML input does, to the folder calibre unpacked the CHM into (links
outside it are still refused), then runs the ordinary command line.  Not imported by
Wenyuan; it runs contained like every converter (``formats.calibre``).
"""

import os
import sys

from calibre.ebooks.conversion.cli import main
from calibre.ebooks.conversion.plugins.html_input import HTMLInput

_create_oebbook = HTMLInput.create_oebbook


def create_oebbook(self, htmlpath, basedir, *args, **kwargs):
    if not hasattr(self, "root_dir_of_input"):
        self.root_dir_of_input = os.path.abspath(basedir) + os.sep
    return _create_oebbook(self, htmlpath, basedir, *args, **kwargs)


if __name__ == "__main__":
    HTMLInput.create_oebbook = create_oebbook
    sys.exit(main(["ebook-convert", *sys.argv[1:]]))
