# Debian 13: its postgresql-client (17) dumps and restores the PostgreSQL 16 of the compose file.
FROM python:3.11-slim-trixie
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext postgresql-client && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config config
COPY lib lib
COPY accounts accounts
COPY contacts contacts
COPY inbox inbox
COPY campaigns campaigns
COPY surveys surveys
COPY assistant assistant
COPY webhooks webhooks
COPY api api
COPY operations operations
COPY demo demo
RUN pip install --no-cache-dir .
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput
RUN useradd --create-home switchboard && mkdir -p /data/media /backups && chown switchboard /data/media /backups /app/var
USER switchboard
EXPOSE 8000
