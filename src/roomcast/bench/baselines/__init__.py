"""The servers `roomcast bench` measures roomcast against, each one module run on its own:

    python -m roomcast.bench.baselines.fastapi_tutorial --port 8001
    python -m roomcast.bench.baselines.socketio_asgi --port 8002   # needs python-socketio

They persist nothing and check no token; `roomcast.bench.targets` starts them and speaks to them.
"""
