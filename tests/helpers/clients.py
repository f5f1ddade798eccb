"""Clients for the transfer tests: short retry backoff so fault tests retry without waiting."""

from typing import Iterator

import vi
from vi.retry import RetryConfig
from vi.testing import LocalViServer


def quick_retry_client(server: LocalViServer) -> Iterator[vi.Client]:
    """A client over sockets to a freshly reset ``server``; closed and the server reset after."""
    server.reset()
    client = vi.Client(
        secret_key=server.secret_key,
        organization_id=server.organization_id,
        endpoint=server.url,
        retry_config=RetryConfig(max_retries=2, base_delay=0.01, max_delay=0.05),
    )
    yield client
    client.close()
    server.reset()
