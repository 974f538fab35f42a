using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Memory.KnowledgeGraph;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Tests;

/// <summary>The knowledge-graph store against a real database: uniqueness, refusals that store nothing, paths, cascades.</summary>
public class KnowledgeGraphStoreTests
{
    private MemoryDatabase _db = null!;
    private KnowledgeGraphStore _graph = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await MemoryDatabase.CreateAsync(configure: services => services.AddSingleton<KnowledgeGraphStore>());
        _graph = _db.Get<KnowledgeGraphStore>();
    }

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    private Task<EntityDetails> Entity(string name, params string[] observations) =>
        _graph.CreateEntityAsync(Guid.NewGuid(), name, "thing", observations, "{}", CancellationToken.None);

    private Task<RelationDetails> Relate(string from, string to, string type = "uses") =>
        _graph.CreateRelationAsync(Guid.NewGuid(), from, to, type, "{}", CancellationToken.None);

    private static RequestRejectedException Refused(AsyncTestDelegate call) => Assert.ThrowsAsync<RequestRejectedException>(call)!;

    [Test]
    public async Task Entity_names_are_unique_regardless_of_case_and_a_retry_returns_the_first_result()
    {
        var name = Unique("Parser");
        var operation = Guid.NewGuid();
        var created = await _graph.CreateEntityAsync(operation, name, "library", ["fast", "fast", "tested"], """{"lang":"cs"}""", CancellationToken.None);
        Assert.That(created.Observations, Is.EqualTo(new[] { "fast", "tested" }));

        var retried = await _graph.CreateEntityAsync(operation, name, "library", ["fast"], "{}", CancellationToken.None);
        Assert.That(retried.Id, Is.EqualTo(created.Id));

        var error = Refused(() => Entity(name.ToUpperInvariant()));
        Assert.That(error.Rejection.Argument, Is.EqualTo("name"));
        Assert.That(await _db.CountAsync($"SELECT count(*) FROM kg_entities WHERE name_key = lower('{name}')"), Is.EqualTo(1));
    }

    [Test]
    public async Task Concurrent_creates_of_one_name_store_exactly_one_entity()
    {
        var name = Unique("Race");
        var attempts = await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
        {
            try
            {
                await Entity(name);
                return true;
            }
            catch (RequestRejectedException)
            {
                return false;
            }
        }));
        Assert.That(attempts.Count(a => a), Is.EqualTo(1));
        Assert.That(await _db.CountAsync($"SELECT count(*) FROM kg_entities WHERE name = '{name}'"), Is.EqualTo(1));
    }

    [Test]
    public async Task Observations_are_added_once()
    {
        var name = Unique("Obs");
        await Entity(name, "first");
        var added = await _graph.AddObservationAsync(Guid.NewGuid(), name, "second", CancellationToken.None);
        var again = await _graph.AddObservationAsync(Guid.NewGuid(), name, "second", CancellationToken.None);
        Assert.That((added.Added, added.ObservationCount, again.Added, again.ObservationCount), Is.EqualTo((true, 2, false, 2)));
        Assert.That(Refused(() => _graph.AddObservationAsync(Guid.NewGuid(), Unique("missing"), "x", CancellationToken.None)).Rejection.Argument,
            Is.EqualTo("entity_name"));
    }

    [Test]
    public async Task Self_duplicate_and_dangling_relations_are_refused_and_store_nothing()
    {
        var (a, b) = (Unique("A"), Unique("B"));
        await Entity(a);
        await Entity(b);
        await Relate(a, b);

        Assert.Multiple(() =>
        {
            Assert.That(Refused(() => Relate(a, a)).Rejection.Argument, Is.EqualTo("to_entity"));
            Assert.That(Refused(() => Relate(a, b)).Rejection.Argument, Is.EqualTo("relation_type"));
            Assert.That(Refused(() => Relate(Unique("ghost"), b)).Rejection.Argument, Is.EqualTo("from_entity"));
            Assert.That(Refused(() => Relate(a, Unique("ghost"))).Rejection.Argument, Is.EqualTo("to_entity"));
        });
        Assert.That(await _db.CountAsync(
            $"SELECT count(*) FROM kg_relations r JOIN kg_entities e ON e.id = r.from_id WHERE e.name = '{a}'"), Is.EqualTo(1));

        // The reverse direction and another type are different relations.
        await Relate(b, a);
        await Relate(a, b, "depends_on");
    }

    [Test]
    public async Task Find_path_returns_the_shortest_chain_in_either_direction_within_max_depth()
    {
        var n = Enumerable.Range(0, 5).Select(i => Unique($"P{i}")).ToArray();
        foreach (var name in n)
        {
            await Entity(name);
        }
        // n0 -> n1 -> n2 -> n3 -> n4, plus a shortcut n4 -> n2 (crossed backwards from n2).
        for (var i = 0; i < 4; i++)
        {
            await Relate(n[i], n[i + 1]);
        }
        await Relate(n[4], n[2], "mirrors");

        var path = await _graph.FindPathAsync(n[0], n[4], 4, CancellationToken.None);
        Assert.That(path.Found, Is.True);
        Assert.That(path.Entities, Is.EqualTo(new[] { n[0], n[1], n[2], n[4] }));
        Assert.That(path.Relations.Select(r => r.RelationType), Is.EqualTo(new[] { "uses", "uses", "mirrors" }));
        Assert.That(path.Relations[2].FromEntity, Is.EqualTo(n[4]), "relations keep their stored direction");

        var tooShort = await _graph.FindPathAsync(n[0], n[4], 2, CancellationToken.None);
        Assert.That((tooShort.Found, tooShort.Entities.Count), Is.EqualTo((false, 0)));
    }

    [Test]
    public async Task Delete_cascades_to_relations_and_observations()
    {
        var (hub, x, y) = (Unique("Hub"), Unique("X"), Unique("Y"));
        await Entity(hub, "one", "two");
        await Entity(x);
        await Entity(y);
        await Relate(hub, x);
        await Relate(y, hub);
        await Relate(x, y);

        var deleted = await _graph.DeleteEntityAsync(hub, CancellationToken.None);
        Assert.That((deleted.RelationsDeleted, deleted.ObservationsDeleted), Is.EqualTo((2L, 2L)));
        var left = await _graph.GetRelationshipsAsync(x, null, RelationDirections.Both, CancellationToken.None);
        Assert.That(left.Relationships.Select(r => r.ToEntity), Is.EqualTo(new[] { y }));
        Assert.That(Refused(() => _graph.DeleteEntityAsync(hub, CancellationToken.None)).Rejection.Argument, Is.EqualTo("name"));
    }

    [Test]
    public async Task Search_ranks_exact_then_prefix_names_and_finds_observations()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        await _graph.CreateEntityAsync(Guid.NewGuid(), $"{tag}x-suffix", "tool", [], "{}", CancellationToken.None);
        await _graph.CreateEntityAsync(Guid.NewGuid(), tag, "tool", [], "{}", CancellationToken.None);
        await _graph.CreateEntityAsync(Guid.NewGuid(), $"other-{tag}", "person", [], "{}", CancellationToken.None);
        await _graph.CreateEntityAsync(Guid.NewGuid(), Unique("Note"), "tool", [$"mentions {tag.ToUpperInvariant()}"], "{}", CancellationToken.None);

        var all = await _graph.SearchAsync(tag, null, 20, CancellationToken.None);
        Assert.That(all.Entities.Select(e => e.Name).Take(3), Is.EqualTo(new[] { tag, $"{tag}x-suffix", $"other-{tag}" }));
        Assert.That(all.Entities, Has.Count.EqualTo(4));
        var people = await _graph.SearchAsync(tag, "person", 20, CancellationToken.None);
        Assert.That(people.Entities.Select(e => e.Name), Is.EqualTo(new[] { $"other-{tag}" }));
    }

    [Test]
    public void Rules_name_the_argument()
    {
        using var array = JsonDocument.Parse("[1]");
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<RequestRejectedException>(() => GraphRules.Properties(array.RootElement))!.Rejection.Argument, Is.EqualTo("properties"));
            Assert.That(Assert.Throws<RequestRejectedException>(() => GraphRules.Direction("sideways"))!.Rejection.Argument, Is.EqualTo("direction"));
            Assert.That(Assert.Throws<RequestRejectedException>(() => GraphRules.PathDepth(0))!.Rejection.Argument, Is.EqualTo("max_depth"));
            Assert.That(Assert.Throws<RequestRejectedException>(() => GraphRules.Name(" ", "name"))!.Rejection.Argument, Is.EqualTo("name"));
            Assert.That(GraphRules.Type(" Depends On ", "relation_type"), Is.EqualTo("depends_on"));
        });
    }
}
