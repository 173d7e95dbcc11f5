// The greeter's readiness, for Docker's HEALTHCHECK: exits 0 once the server accepts
// connections on 127.0.0.1:PORT (it listens only when bound and ready for calls), 1 otherwise.
// eds-agent serves a container with a HEALTHCHECK only once it is healthy, so no client is
// sent to a replica whose server is still starting.
import { connect } from 'node:net';

const port = Number(process.env.PORT ?? '50051');
const socket = connect({ host: '127.0.0.1', port, timeout: 1000 });
socket.on('connect', () => {
  socket.destroy();
  process.exit(0);
});
for (const event of ['error', 'timeout']) socket.on(event, () => process.exit(1));
