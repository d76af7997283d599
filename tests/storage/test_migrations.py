from sqlalchemy import inspect

from fengqiao.storage.db import Database
from fengqiao.storage.migrate import upgrade_async
from fengqiao.storage.models import Base


async def test_migrations_create_the_model_schema(settings):
    url = settings.effective_database_url
    await upgrade_async(url)
    await upgrade_async(url)  # running twice is harmless
    db = Database(url)
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await db.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
