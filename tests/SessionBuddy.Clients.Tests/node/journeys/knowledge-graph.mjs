// The knowledge graph as an agent builds it: entities, relations between them, then the way from one to another.
import { callOk, connect, run, unique } from '../lib/mcp.mjs';

await run(async () => {
  const { client } = await connect();
  const tag = unique('kg');
  const gateway = `Gateway ${tag}`;
  const bus = `RabbitMQ ${tag}`;
  const memory = `Memory service ${tag}`;
  const entities = [
    await callOk(client, 'create_entity', { name: gateway, entity_type: 'service', observations: ['the only public entry'], properties: { port: 8678 } }),
    await callOk(client, 'create_entity', { name: bus, entity_type: 'broker' }),
    await callOk(client, 'create_entity', { name: memory, entity_type: 'service' }),
  ];
  const relations = [
    await callOk(client, 'create_relation', { from_entity: gateway, to_entity: bus, relation_type: 'sends_requests_over', properties: { protocol: 'amqp' } }),
    await callOk(client, 'create_relation', { from_entity: bus, to_entity: memory, relation_type: 'delivers_to' }),
  ];
  return {
    names: { gateway, bus, memory },
    entities,
    relations,
    outgoing: await callOk(client, 'get_entity_relationships', { entity_name: gateway, direction: 'out' }),
    path: await callOk(client, 'find_path', { from_entity: gateway, to_entity: memory, max_depth: 4 }),
    found: await callOk(client, 'search_entities', { query: tag }),
  };
});
