"""Echo server anchors for bench/echo.bench.ts: the seed's asyncio streams echo server, run on
the default event loop or on uvloop. Prints "READY <port>" once listening; stops on SIGTERM.

Usage: /usr/bin/python3 bench/py/echo_server.py asyncio|uvloop [port]
"""
import asyncio
import signal
import socket
import sys


async def handle_echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            data = await reader.read(1024)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()
    try:
        await writer.wait_closed()
    except ConnectionError:
        pass


async def main(port: int):
    server = await asyncio.start_server(handle_echo, "127.0.0.1", port)
    print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with server:
        await stop


if __name__ == "__main__":
    kind = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    if kind == "uvloop":
        import uvloop

        uvloop.install()
        asyncio.run(main(port))
    else:
        asyncio.run(main(port))
