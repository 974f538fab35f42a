using SessionBuddy.Contracts.Memory;
using SessionBuddy.Memory.Patterns;

namespace SessionBuddy.Memory.Tests;

public class PatternStoreTests
{
    private MemoryDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await MemoryDatabase.CreateAsync();

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    [Test]
    public async Task A_retried_operation_counts_one_occurrence_and_examples_stay_capped()
    {
        var store = _db.Get<PatternStore>();
        var operation = Guid.NewGuid();
        var request = new StorePattern(operation, "guard clauses", "code", "Return early on invalid input", ["if (x is null) return;"], "pat");
        var first = await store.StoreAsync(PatternRules.Validate(request), CancellationToken.None);
        var retried = await store.StoreAsync(PatternRules.Validate(request), CancellationToken.None);
        Assert.That(retried.Pattern.Occurrences, Is.EqualTo(1));
        Assert.That(retried.Created, Is.True);
        Assert.That(retried.Pattern.Id, Is.EqualTo(first.Pattern.Id));

        for (var i = 0; i < 25; i++)
        {
            await store.StoreAsync(PatternRules.Validate(request with { OperationId = Guid.NewGuid(), Examples = [$"example {i}"] }), CancellationToken.None);
        }
        var found = await store.FindAsync(PatternRules.Validate(new FindPatterns(Project: "pat")), CancellationToken.None);
        var pattern = found.Patterns.Single().Pattern;
        Assert.That(pattern.Occurrences, Is.EqualTo(26));
        Assert.That(pattern.Examples, Has.Count.EqualTo(PatternLimits.MaxExamples));
        Assert.That(pattern.Examples[^1], Is.EqualTo("example 24"), "newest kept");
        Assert.That(await _db.CountAsync("SELECT count(*) FROM reflections WHERE category = 'pattern'"), Is.EqualTo(1), "one searchable text per pattern");
    }
}
