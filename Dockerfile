FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/venv PATH=/venv/bin:$PATH
WORKDIR /app
RUN pip install --no-cache-dir uv==0.13.8
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev
COPY . .
RUN DEBUG=0 SECRET_KEY=build-only-not-secret python manage.py collectstatic --no-input
RUN useradd --create-home careerplan && mkdir -p /app/var && chown -R careerplan /app/var
USER careerplan
EXPOSE 8000
CMD ["gunicorn", "careerplan.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2"]
