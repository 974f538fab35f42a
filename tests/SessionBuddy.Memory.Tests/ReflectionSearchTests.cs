using SessionBuddy.Contracts.Memory;
using SessionBuddy.Memory.Reflections;
using SessionBuddy.Memory.Search;
using static SessionBuddy.Memory.Tests.ReflectionStoreTests;

namespace SessionBuddy.Memory.Tests;

public class ReflectionSearchTests
{
    private MemoryDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await MemoryDatabase.CreateAsync();
        // The same wording in several projects: isolation must hold even for the best match.
        foreach (var project in new[] { "red", "green", "blue" })
        {
            await StoreAsync(_db, Reflection($"Postgres connection pool exhausted under load ({project})", project, ["db"], "s-" + project));
            await StoreAsync(_db, Reflection($"Raised the pool size to fix connection timeouts ({project})", project, ["db", "fix"]));
            await StoreAsync(_db, Reflection($"Frontend button colour changed to blue ({project})", project, ["ui"]));
        }
    }

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    private Task<ReflectionSearchResults> Search(string text, string mode, SearchFilter filter, int limit = 10, double? minScore = null) =>
        _db.Get<ReflectionSearch>().SearchAsync(new ReflectionQuery(text, limit, minScore, mode, filter), CancellationToken.None);

    [TestCaseSource(typeof(SearchModes), nameof(SearchModes.All))]
    public async Task A_project_search_never_returns_another_projects_items(string mode)
    {
        foreach (var project in new[] { "red", "green", "blue" })
        {
            var results = await Search("connection pool timeouts blue button", mode, new SearchFilter(project), limit: 100);
            Assert.That(results.Results, Is.Not.Empty);
            Assert.That(results.Results.Select(r => r.Project), Is.All.EqualTo(project), mode);
        }
    }

    [Test]
    public async Task Hybrid_results_say_why_they_matched_and_carry_scores()
    {
        var results = await Search("connection pool exhausted", SearchModes.Hybrid, new SearchFilter("red"));

        var top = results.Results[0];
        Assert.That(top.Content, Does.Contain("pool exhausted"));
        Assert.That(top.MatchedBy, Is.EqualTo(MatchSources.Both));
        Assert.That(top.SemanticScore, Is.GreaterThan(0));
        Assert.That(top.KeywordScore, Is.GreaterThan(0));
        Assert.That(top.Score, Is.GreaterThan(0).And.LessThanOrEqualTo(1));
        Assert.That(results.Results.Select(r => r.Score), Is.Ordered.Descending);
    }

    [Test]
    public async Task Keyword_search_ranks_or_matched_terms_of_a_sentence()
    {
        // Not every word occurs in the best document: OR matching still finds and ranks it.
        var results = await Search("why was the connection pool exhausted yesterday", SearchModes.Keyword, new SearchFilter("green"));
        Assert.That(results.Results[0].Content, Does.Contain("pool exhausted"));
        Assert.That(results.Results.Select(r => r.MatchedBy), Is.All.EqualTo(MatchSources.Keyword));
    }

    [Test]
    public async Task Tag_filters_match_any_or_all()
    {
        var any = await Search("pool", SearchModes.Keyword, new SearchFilter("blue", ["fix", "ui"]));
        var all = await Search("pool", SearchModes.Keyword, new SearchFilter("blue", ["db", "fix"], MatchAllTags: true));

        Assert.That(any.Results.Select(r => r.Content), Has.Exactly(1).Contain("Raised the pool"));
        Assert.That(all.Results, Has.Count.EqualTo(1));
        Assert.That(all.Results[0].Tags, Is.SupersetOf(new[] { "db", "fix" }));
    }

    [Test]
    public async Task Time_and_session_filters_apply_in_every_mode()
    {
        foreach (var mode in SearchModes.All)
        {
            var future = await Search("connection pool", mode, new SearchFilter(Since: DateTimeOffset.UtcNow.AddMinutes(5)));
            var past = await Search("connection pool", mode, new SearchFilter(Until: DateTimeOffset.UtcNow.AddDays(-1)));
            var session = await Search("connection pool", mode, new SearchFilter(SessionId: "s-green"));

            Assert.That(future.Results, Is.Empty, mode);
            Assert.That(past.Results, Is.Empty, mode);
            Assert.That(session.Results.Select(r => r.SessionId), Is.All.EqualTo("s-green"), mode);
            Assert.That(session.Results, Is.Not.Empty, mode);
        }
    }

    private static readonly (string Name, SearchFilter Filter, string[] Expected)[] CombinedFilters =
    [
        ("project and any tag", new SearchFilter("red", ["fix", "ui"]), ["Raised the pool size to fix connection timeouts (red)", "Frontend button colour changed to blue (red)"]),
        ("project, all tags and a time range", new SearchFilter("green", ["db", "fix"], MatchAllTags: true, Since: DateTimeOffset.UtcNow.AddDays(-1), Until: DateTimeOffset.UtcNow.AddDays(1)),
            ["Raised the pool size to fix connection timeouts (green)"]),
        ("session, project and category", new SearchFilter("blue", SessionId: "s-blue", Category: "reflection"), ["Postgres connection pool exhausted under load (blue)"]),
        ("category and any tag, no project", new SearchFilter(Tags: ["ui"], Category: "reflection"),
            ["Frontend button colour changed to blue (red)", "Frontend button colour changed to blue (green)", "Frontend button colour changed to blue (blue)"]),
        ("another project's session", new SearchFilter("red", SessionId: "s-blue"), []),
        ("metadata no reflection has", new SearchFilter("red", MetadataJson: """{"ticket": 7}"""), []),
    ];

    // Each combination of set filters is its own statement (SearchFilter.Apply); every one returns exactly the
    // reflections it matches, also once PostgreSQL runs the statements on generic plans (after five runs).
    [Test]
    public async Task Combined_filters_return_exactly_what_they_match_in_every_mode_and_on_every_run()
    {
        foreach (var mode in SearchModes.All)
        {
            foreach (var (name, filter, expected) in CombinedFilters)
            {
                for (var run = 0; run < 7; run++)
                {
                    var results = await Search("connection pool timeouts button", mode, filter, limit: 100);
                    Assert.That(results.Results.Select(r => r.Content), Is.EquivalentTo(expected), $"{mode}, {name}, run {run + 1}");
                }
            }
        }
    }

    [Test]
    public async Task Min_score_drops_weak_semantic_matches()
    {
        var results = await Search("connection pool exhausted under load", SearchModes.Semantic, new SearchFilter("red"), minScore: 0.5);
        Assert.That(results.Results, Is.Not.Empty);
        Assert.That(results.Results.Select(r => r.Score), Is.All.GreaterThanOrEqualTo(0.5));
        Assert.That(results.Results.Select(r => r.Content), Has.None.Contain("button"));
    }
}
