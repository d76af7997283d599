"""Case lifecycle: filing, codes, progress, audit."""
