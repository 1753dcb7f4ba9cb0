import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../../app/errors.js';
import type { StoredChannel } from '../../ports/store.js';
import type { HttpDeps } from '../deps.js';
import { channelView } from '../views.js';
import { idParams, parseInput } from './params.js';

export function channelRoutes(deps: HttpDeps): FastifyPluginAsync {
  const view = async (channel: StoredChannel) =>
    channelView(
      channel,
      await deps.store.listSubscriptions(channel.id),
      deps.sentinel.state(channel.id),
      deps.sentinel.policy,
      deps.poll.pushStatus(channel.id),
    );

  return async (app) => {
    app.get('/channels', async () => {
      const [channels, subscriptions] = await Promise.all([
        deps.store.listChannels(),
        deps.store.listSubscriptions(),
      ]);
      return channels.map((c) =>
        channelView(
          c,
          subscriptions.filter((s) => s.channelId === c.id),
          deps.sentinel.state(c.id),
          deps.sentinel.policy,
          deps.poll.pushStatus(c.id),
        ),
      );
    });

    app.post('/channels', async (request, reply) => {
      const channel = await deps.catalog.createChannel(request.body);
      return reply.status(201).send(await view(channel));
    });

    app.get('/channels/:id', async (request) => {
      const { id } = parseInput(idParams, request.params);
      const channel = await deps.store.getChannel(id);
      if (!channel) throw new AppError('notFound', `no channel "${id}"`);
      return view(channel);
    });

    const update = async (request: { params: unknown; body: unknown }) => {
      const { id } = parseInput(idParams, request.params);
      return view(await deps.catalog.updateChannel(id, request.body));
    };
    app.patch('/channels/:id', update);
    app.put('/channels/:id', update);

    app.delete('/channels/:id', async (request, reply) => {
      const { id } = parseInput(idParams, request.params);
      await deps.catalog.deleteChannel(id);
      return reply.status(204).send();
    });

    /** Probes the channel now and returns its state afterwards. */
    app.post('/channels/:id/check', async (request) => {
      const { id } = parseInput(idParams, request.params);
      const channel = await deps.store.getChannel(id);
      if (!channel) throw new AppError('notFound', `no channel "${id}"`);
      await deps.poll.checkNow(id);
      return view(channel);
    });
  };
}
