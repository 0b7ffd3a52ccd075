FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config config
COPY lib lib
COPY accounts accounts
COPY contacts contacts
COPY inbox inbox
COPY campaigns campaigns
COPY demo demo
RUN pip install --no-cache-dir .
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput
RUN useradd --create-home switchboard && mkdir -p /data/media && chown switchboard /data/media /app/var
USER switchboard
EXPOSE 8000
