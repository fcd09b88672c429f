from app.directory.seed import seed_demo

commands = [seed_demo]
