using SessionBuddy.Memory.KnowledgeGraph;

namespace SessionBuddy.Memory.Tests;

public class EntityExtractionTests
{
    [Test]
    public void Finds_urls_paths_technologies_and_code_identifiers_in_first_occurrence_order()
    {
        const string text =
            "Fixed ReflectionStore.StoreAsync in services/SessionBuddy.Memory/Reflections/ReflectionStore.cs, see " +
            "https://example.org/docs/hnsw. It runs on postgres with pgvector; parse_args() and MAX_DEPTH come from " +
            "config.yaml. The HttpClient calls Postgres again, e.g. via runQuery(x).";

        var found = EntityExtraction.Extract(text).Select(e => (e.Name, e.EntityType, e.Occurrences)).ToList();

        Assert.That(found, Is.EqualTo(new[]
        {
            ("ReflectionStore.StoreAsync", "code_identifier", 1),
            ("services/SessionBuddy.Memory/Reflections/ReflectionStore.cs", "file_path", 1),
            ("https://example.org/docs/hnsw", "url", 1),
            ("PostgreSQL", "technology", 2),
            ("pgvector", "technology", 1),
            ("parse_args", "code_identifier", 1),
            ("MAX_DEPTH", "code_identifier", 1),
            ("config.yaml", "file_path", 1),
            ("HttpClient", "code_identifier", 1),
            ("runQuery", "code_identifier", 1),
        }));
    }

    [Test]
    public void Plain_prose_yields_nothing_and_results_are_deterministic()
    {
        Assert.That(EntityExtraction.Extract("We talked about the weather and went home."), Is.Empty);
        const string text = "Docker, Kubernetes and user_id in ./run.sh";
        Assert.That(EntityExtraction.Extract(text), Is.EqualTo(EntityExtraction.Extract(text)));
    }
}
