# One image for the web service and the workers of the scale stack.
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg tesseract-ocr tesseract-ocr-vie fonts-dejavu-core \
      libreoffice-writer-nogui libreoffice-impress-nogui libreoffice-calc-nogui \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY repository ./repository
COPY ingest ./ingest
COPY search ./search
COPY web ./web
COPY metadata_schemas ./metadata_schemas
RUN pip install --no-cache-dir -e .
RUN useradd --create-home hoclieu && mkdir -p /data && chown hoclieu /data
USER hoclieu
ENV HOCLIEU_DATA_DIR=/data
EXPOSE 8000
CMD ["hoclieu", "serve", "--host", "0.0.0.0", "--port", "8000"]
