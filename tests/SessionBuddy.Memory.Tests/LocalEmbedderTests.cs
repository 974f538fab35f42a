using SessionBuddy.Memory.Embeddings;

namespace SessionBuddy.Memory.Tests;

public class LocalEmbedderTests
{
    private readonly LocalEmbedder _embedder = new(384);

    [Test]
    public void Vectors_are_deterministic_and_unit_length()
    {
        var first = _embedder.Embed("Use connection pooling for PostgreSQL");
        var second = new LocalEmbedder(384).Embed("Use connection pooling for PostgreSQL");

        Assert.That(first, Is.EqualTo(second));
        Assert.That(first, Has.Length.EqualTo(384));
        Assert.That(Math.Sqrt(first.Sum(v => v * v)), Is.EqualTo(1.0).Within(1e-5));
    }

    [Test]
    public void Similar_wording_scores_clearly_above_unrelated_text()
    {
        var query = _embedder.Embed("how do I fix the database connection timeout");
        var similar = _embedder.Embed("Fixed database connection timeouts by raising the pool size");
        var unrelated = _embedder.Embed("The button colour on the settings page should be blue");

        var similarScore = Cosine(query, similar);
        var unrelatedScore = Cosine(query, unrelated);

        Assert.That(similarScore, Is.GreaterThan(0.3));
        Assert.That(similarScore, Is.GreaterThan(unrelatedScore + 0.25), $"similar {similarScore:F3} vs unrelated {unrelatedScore:F3}");
    }

    [Test]
    public void Stop_words_alone_do_not_make_texts_similar()
    {
        var a = _embedder.Embed("this is what we should have done there");
        var b = _embedder.Embed("Kubernetes pods restart after OOM");
        Assert.That(Cosine(a, b), Is.LessThan(0.1));
    }

    [Test]
    public async Task Implements_the_embedding_generator_abstraction()
    {
        var embeddings = await _embedder.GenerateAsync(["one text", "another text"]);
        Assert.That(embeddings, Has.Count.EqualTo(2));
        Assert.That(embeddings[0].Vector.Length, Is.EqualTo(384));
        Assert.That(embeddings[0].ModelId, Is.EqualTo(LocalEmbedder.ModelId));
    }

    internal static double Cosine(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();
}
