# Wenyuan's image for the many-machine setup (deploy/compose.yaml, docs/deployment.md):
# the same image runs `wenyuan serve --no-worker` (web) and `wenyuan worker` (worker).
# Not built on this project's CI (no Docker there); the nginx file and the compose file
# are checked by wenyuan/core/tests/test_deploy.py and test_nginx.py.
FROM python:3.11-slim-bookworm

# The site's Debian packages: the SERVE_PACKAGES list of ./dev (LibreOffice, CJK fonts,
# Tesseract, bubblewrap, calibre for e-books, mupdf-tools and the build parts of
# caj2pdf-restructured for CNKI files, …) plus the PostgreSQL client for `wenyuan backup`.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui \
      python3-uno fonts-noto-cjk fonts-wqy-zenhei tesseract-ocr tesseract-ocr-chi-sim \
      bubblewrap libgxps-utils djvulibre-bin calibre mupdf-tools \
      libjbig2dec0-dev pkg-config g++ postgresql-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock ./
RUN LIBJBIG2DEC=1 pip install --no-cache-dir -r requirements.lock
COPY pyproject.toml README.md ./
COPY wenyuan ./wenyuan
RUN pip install --no-cache-dir --no-deps . \
 && useradd --system --home-dir /data --create-home wenyuan

USER wenyuan
ENV WENYUAN_HOME=/data \
    PYTHONUNBUFFERED=1
VOLUME /data
EXPOSE 8000
CMD ["wenyuan", "serve", "--no-worker", "--host", "0.0.0.0", "--port", "8000"]
