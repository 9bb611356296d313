FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# WeasyPrint needs Pango; fonts are local so PDFs never fetch from the network.
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY . .
RUN pip install --no-cache-dir . && useradd --create-home app \
    && mkdir -p /app/var /data/private && chown -R app /app/var /data
USER app
RUN DJANGO_SECRET_KEY=build-only DJANGO_DEBUG=0 python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "membership_site.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
