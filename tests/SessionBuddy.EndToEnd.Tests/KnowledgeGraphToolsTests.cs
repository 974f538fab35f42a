using System.Text.Json;
using Npgsql;

namespace SessionBuddy.EndToEnd.Tests;

/// <summary>
/// Every knowledge-graph tool through the real path: MCP client → gateway → RabbitMQ → Memory service →
/// PostgreSQL, with each refusal naming its argument and leaving the graph unchanged.
/// </summary>
public sealed class KnowledgeGraphToolsTests
{
    private ToolClient _tools = null!;

    [OneTimeSetUp]
    public async Task Connect() => _tools = await ToolClient.ConnectAsync(Suite.App.McpUri);

    [OneTimeTearDown]
    public async Task Disconnect() => await _tools.DisposeAsync();

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    private Task<JsonElement> CreateAsync(string name, string type = "library", object? observations = null) =>
        _tools.CallOkAsync("create_entity", new { name, entity_type = type, observations });

    private Task<JsonElement> RelateAsync(string from, string to, string type = "uses") =>
        _tools.CallOkAsync("create_relation", new { from_entity = from, to_entity = to, relation_type = type });

    [Test]
    public async Task CreateEntityStoresObservationsAndPropertiesAndRefusesBadInput()
    {
        var name = Unique("Npgsql");
        var created = await _tools.CallOkAsync("create_entity", new
        {
            name,
            entity_type = "Library",
            observations = new[] { "speaks the PostgreSQL wire protocol" },
            properties = new { license = "PostgreSQL" },
        });
        Assert.Multiple(() =>
        {
            Assert.That(created.GetProperty("name").GetString(), Is.EqualTo(name));
            Assert.That(created.GetProperty("entity_type").GetString(), Is.EqualTo("library"));
            Assert.That(created.GetProperty("observations")[0].GetString(), Is.EqualTo("speaks the PostgreSQL wire protocol"));
            Assert.That(created.GetProperty("properties").GetProperty("license").GetString(), Is.EqualTo("PostgreSQL"));
        });

        var before = await CountAsync("SELECT count(*) FROM kg_entities");
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(await _tools.CallErrorAsync("create_entity", new { name = name.ToUpperInvariant(), entity_type = "library" }), Does.Contain("name"));
            Assert.That(await _tools.CallErrorAsync("create_entity", new { name = " ", entity_type = "library" }), Does.Contain("name"));
            Assert.That(await _tools.CallErrorAsync("create_entity", new { name = new string('n', 201), entity_type = "x" }), Does.Contain("name"));
            Assert.That(await _tools.CallErrorAsync("create_entity", new { name = Unique("T"), entity_type = "" }), Does.Contain("entity_type"));
            Assert.That(await _tools.CallErrorAsync("create_entity", new { name = Unique("P"), entity_type = "x", properties = new[] { 1 } }), Does.Contain("properties"));
            Assert.That(await _tools.CallErrorAsync("create_entity", new { name = Unique("O"), entity_type = "x", observations = new[] { "" } }), Does.Contain("observations"));
        });
        Assert.That(await CountAsync("SELECT count(*) FROM kg_entities"), Is.EqualTo(before));
    }

    [Test]
    public async Task AddObservationAppendsOnceAndRefusesUnknownEntityOrEmptyText()
    {
        var name = Unique("Obs");
        await CreateAsync(name);
        var added = await _tools.CallOkAsync("add_observation", new { entity_name = name, observation = "uses HNSW" });
        var again = await _tools.CallOkAsync("add_observation", new { entity_name = name.ToLowerInvariant(), observation = "uses HNSW" });
        Assert.Multiple(() =>
        {
            Assert.That(added.GetProperty("added").GetBoolean(), Is.True);
            Assert.That(again.GetProperty("added").GetBoolean(), Is.False);
            Assert.That(again.GetProperty("observation_count").GetInt32(), Is.EqualTo(1));
        });

        var before = await CountAsync("SELECT count(*) FROM kg_observations");
        Assert.That(await _tools.CallErrorAsync("add_observation", new { entity_name = Unique("ghost"), observation = "x" }), Does.Contain("entity_name"));
        Assert.That(await _tools.CallErrorAsync("add_observation", new { entity_name = name, observation = "  " }), Does.Contain("observation"));
        Assert.That(await CountAsync("SELECT count(*) FROM kg_observations"), Is.EqualTo(before));
    }

    [Test]
    public async Task CreateRelationRefusesSelfDuplicateAndUnknownEntities()
    {
        var (a, b) = (Unique("Gateway"), Unique("Memory"));
        await CreateAsync(a, "service");
        await CreateAsync(b, "service");
        var relation = await _tools.CallOkAsync("create_relation", new { from_entity = a, to_entity = b, relation_type = "Depends On", properties = new { via = "bus" } });
        Assert.Multiple(() =>
        {
            Assert.That(relation.GetProperty("from_entity").GetString(), Is.EqualTo(a));
            Assert.That(relation.GetProperty("to_entity").GetString(), Is.EqualTo(b));
            Assert.That(relation.GetProperty("relation_type").GetString(), Is.EqualTo("depends_on"));
            Assert.That(relation.GetProperty("properties").GetProperty("via").GetString(), Is.EqualTo("bus"));
        });

        var before = await CountAsync("SELECT count(*) FROM kg_relations");
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(await _tools.CallErrorAsync("create_relation", new { from_entity = a, to_entity = a, relation_type = "uses" }), Does.Contain("to_entity"));
            Assert.That(await _tools.CallErrorAsync("create_relation", new { from_entity = a, to_entity = b, relation_type = "depends_on" }), Does.Contain("relation_type"));
            Assert.That(await _tools.CallErrorAsync("create_relation", new { from_entity = Unique("ghost"), to_entity = b, relation_type = "uses" }), Does.Contain("from_entity"));
            Assert.That(await _tools.CallErrorAsync("create_relation", new { from_entity = a, to_entity = Unique("ghost"), relation_type = "uses" }), Does.Contain("to_entity"));
            Assert.That(await _tools.CallErrorAsync("create_relation", new { from_entity = a, to_entity = b, relation_type = "" }), Does.Contain("relation_type"));
        });
        Assert.That(await CountAsync("SELECT count(*) FROM kg_relations"), Is.EqualTo(before));
    }

    [Test]
    public async Task SearchEntitiesMatchesNamesTypesAndObservations()
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        await CreateAsync($"{tag}-core", "library");
        await CreateAsync(Unique("Person"), "person", new[] { $"maintains {tag}-core" });

        var all = await _tools.CallOkAsync("search_entities", new { query = tag });
        Assert.That(all.GetProperty("entities").GetArrayLength(), Is.EqualTo(2));
        Assert.That(all.GetProperty("entities")[0].GetProperty("name").GetString(), Is.EqualTo($"{tag}-core"));
        var people = await _tools.CallOkAsync("search_entities", new { query = tag, entity_type = "person" });
        Assert.That(people.GetProperty("entities").GetArrayLength(), Is.EqualTo(1));

        Assert.That(await _tools.CallErrorAsync("search_entities", new { query = "" }), Does.Contain("query"));
    }

    [Test]
    public async Task GetEntityRelationshipsFiltersByDirectionAndType()
    {
        var (hub, a, b) = (Unique("Hub"), Unique("A"), Unique("B"));
        foreach (var name in new[] { hub, a, b })
        {
            await CreateAsync(name);
        }
        await RelateAsync(hub, a, "uses");
        await RelateAsync(b, hub, "calls");

        int Count(JsonElement reply) => reply.GetProperty("relationships").GetArrayLength();
        Assert.That(Count(await _tools.CallOkAsync("get_entity_relationships", new { entity_name = hub })), Is.EqualTo(2));
        var outgoing = await _tools.CallOkAsync("get_entity_relationships", new { entity_name = hub, direction = "out" });
        Assert.That(outgoing.GetProperty("relationships")[0].GetProperty("to_entity").GetString(), Is.EqualTo(a));
        var incoming = await _tools.CallOkAsync("get_entity_relationships", new { entity_name = hub, direction = "in" });
        Assert.That(incoming.GetProperty("relationships")[0].GetProperty("from_entity").GetString(), Is.EqualTo(b));
        Assert.That(Count(await _tools.CallOkAsync("get_entity_relationships", new { entity_name = hub, relation_type = "calls" })), Is.EqualTo(1));

        Assert.That(await _tools.CallErrorAsync("get_entity_relationships", new { entity_name = hub, direction = "sideways" }), Does.Contain("direction"));
        Assert.That(await _tools.CallErrorAsync("get_entity_relationships", new { entity_name = Unique("ghost") }), Does.Contain("entity_name"));
    }

    [Test]
    public async Task FindPathReturnsTheShortestChainOrNotFound()
    {
        var n = Enumerable.Range(0, 4).Select(i => Unique($"N{i}")).ToArray();
        foreach (var name in n)
        {
            await CreateAsync(name);
        }
        await RelateAsync(n[0], n[1]);
        await RelateAsync(n[1], n[2]);
        await RelateAsync(n[3], n[2]); // crossed backwards

        var path = await _tools.CallOkAsync("find_path", new { from_entity = n[0], to_entity = n[3] });
        Assert.Multiple(() =>
        {
            Assert.That(path.GetProperty("found").GetBoolean(), Is.True);
            Assert.That(path.GetProperty("length").GetInt32(), Is.EqualTo(3));
            Assert.That(path.GetProperty("entities").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(n[..3].Append(n[3])));
            Assert.That(path.GetProperty("relations").GetArrayLength(), Is.EqualTo(3));
        });
        var tooShort = await _tools.CallOkAsync("find_path", new { from_entity = n[0], to_entity = n[3], max_depth = 2 });
        Assert.That(tooShort.GetProperty("found").GetBoolean(), Is.False);

        Assert.That(await _tools.CallErrorAsync("find_path", new { from_entity = n[0], to_entity = n[3], max_depth = 0 }), Does.Contain("max_depth"));
        Assert.That(await _tools.CallErrorAsync("find_path", new { from_entity = n[0], to_entity = n[3], max_depth = 7 }), Does.Contain("max_depth"));
        Assert.That(await _tools.CallErrorAsync("find_path", new { from_entity = Unique("ghost"), to_entity = n[3] }), Does.Contain("from_entity"));
        Assert.That(await _tools.CallErrorAsync("find_path", new { from_entity = n[0], to_entity = Unique("ghost") }), Does.Contain("to_entity"));
    }

    [Test]
    public async Task StatsCountEntitiesRelationsAndTypes()
    {
        var (a, b) = (Unique("StatA"), Unique("StatB"));
        await CreateAsync(a, "stat_kind", new[] { "one", "two" });
        await CreateAsync(b, "stat_kind");
        await RelateAsync(a, b, "stat_link");

        var stats = await _tools.CallOkAsync("get_knowledge_graph_stats");
        Assert.Multiple(() =>
        {
            Assert.That(stats.GetProperty("entities").GetInt64(), Is.GreaterThanOrEqualTo(2));
            Assert.That(stats.GetProperty("relations").GetInt64(), Is.GreaterThanOrEqualTo(1));
            Assert.That(stats.GetProperty("observations").GetInt64(), Is.GreaterThanOrEqualTo(2));
            Assert.That(stats.GetProperty("entity_types").EnumerateArray().Any(t => t.GetProperty("name").GetString() == "stat_kind"), Is.True);
            Assert.That(stats.GetProperty("relation_types").EnumerateArray().Any(t => t.GetProperty("name").GetString() == "stat_link"), Is.True);
            Assert.That(stats.GetProperty("most_connected").GetArrayLength(), Is.GreaterThan(0));
        });
    }

    [Test]
    public async Task ExtractEntitiesFindsCandidatesAndStoresNothing()
    {
        var before = await CountAsync("SELECT count(*) FROM kg_entities");
        var found = await _tools.CallOkAsync("extract_entities_from_context", new
        {
            text = "Call ReflectionSearch.SearchAsync from src/Search/ReflectionSearch.cs on postgres; docs at https://example.org/x",
        });
        var entities = found.GetProperty("entities").EnumerateArray()
            .Select(e => (e.GetProperty("name").GetString(), e.GetProperty("entity_type").GetString())).ToList();
        Assert.That(entities, Does.Contain(("ReflectionSearch.SearchAsync", "code_identifier")));
        Assert.That(entities, Does.Contain(("src/Search/ReflectionSearch.cs", "file_path")));
        Assert.That(entities, Does.Contain(("PostgreSQL", "technology")));
        Assert.That(entities, Does.Contain(("https://example.org/x", "url")));
        Assert.That(await CountAsync("SELECT count(*) FROM kg_entities"), Is.EqualTo(before));

        Assert.That(await _tools.CallErrorAsync("extract_entities_from_context", new { text = "" }), Does.Contain("text"));
    }

    [Test]
    public async Task DeleteEntityCascadesToItsRelations()
    {
        var (gone, kept) = (Unique("Gone"), Unique("Kept"));
        await CreateAsync(gone, "library", new[] { "obsolete" });
        await CreateAsync(kept);
        await RelateAsync(gone, kept);
        await RelateAsync(kept, gone, "replaces");

        var deleted = await _tools.CallOkAsync("delete_entity", new { name = gone });
        Assert.Multiple(() =>
        {
            Assert.That(deleted.GetProperty("deleted").GetBoolean(), Is.True);
            Assert.That(deleted.GetProperty("relations_deleted").GetInt64(), Is.EqualTo(2));
            Assert.That(deleted.GetProperty("observations_deleted").GetInt64(), Is.EqualTo(1));
        });
        var left = await _tools.CallOkAsync("get_entity_relationships", new { entity_name = kept });
        Assert.That(left.GetProperty("relationships").GetArrayLength(), Is.EqualTo(0));

        Assert.That(await _tools.CallErrorAsync("delete_entity", new { name = gone }), Does.Contain("name"));
        Assert.That(await _tools.CallErrorAsync("delete_entity", new { name = "" }), Does.Contain("name"));
    }

    private static async Task<long> CountAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Suite.App.GetConnectionString("memorydb"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
