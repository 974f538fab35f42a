using SessionBuddy.Memory.Embeddings;
using static SessionBuddy.Memory.Tests.VectorRankingTests;

namespace SessionBuddy.Memory.Tests;

public class MiniLmEmbedderTests
{
    private static readonly MiniLmEmbedder Embedder = MiniLmEmbedder.Shared;

    [Test]
    public async Task Reproduces_the_sentence_transformers_reference_cosines()
    {
        // The model card's example: similarities 0.6660, 0.1046 and 0.1411.
        var v = await Embedder.EmbedAsync(["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]);

        Assert.That(v, Has.All.Length.EqualTo(384));
        Assert.That(Cosine(v[0], v[1]), Is.EqualTo(0.6660).Within(0.0005));
        Assert.That(Cosine(v[0], v[2]), Is.EqualTo(0.1046).Within(0.0005));
        Assert.That(Cosine(v[1], v[2]), Is.EqualTo(0.1411).Within(0.0005));
        Assert.That(Math.Sqrt(v[0].Sum(x => x * x)), Is.EqualTo(1.0).Within(1e-5));
    }

    [Test]
    public async Task Accented_text_embeds_like_its_unaccented_spelling()
    {
        // BERT uncased strips accents; under invariant globalization they would become [UNK] instead.
        var v = await Embedder.EmbedAsync(["Le café de la rue était très agréable, même en hiver.", "le cafe de la rue etait tres agreable, meme en hiver."]);
        var unknown = await Embedder.EmbedAsync(["Le [UNK] de la rue [UNK] [UNK] [UNK], [UNK] en hiver."]);

        Assert.That(Cosine(v[0], v[1]), Is.GreaterThan(0.9999));
        Assert.That(Cosine(v[0], unknown[0]), Is.LessThan(0.95));
    }

    [Test]
    public async Task Text_beyond_256_tokens_is_truncated_and_other_scripts_embed()
    {
        var words = string.Join(" ", Enumerable.Range(0, 300).Select(i => $"word{i % 7}"));
        var v = await Embedder.EmbedAsync([words, words + " and a completely different ending about databases", "数据库连接超时 Ελληνικά"]);

        Assert.That(Cosine(v[0], v[1]), Is.EqualTo(1.0).Within(1e-5), "both are cut at 256 tokens");
        Assert.That(v[2].All(float.IsFinite), Is.True);
    }

    [Test]
    public async Task Concurrent_requests_get_the_vectors_each_would_get_alone()
    {
        string[] texts = ["connection pool exhausted under load", "rename the settings page", "PostgreSQL vacuum tuning", "a much longer sentence about caching HTTP responses in the gateway for a while"];
        var alone = new List<float[]>();
        foreach (var text in texts)
        {
            alone.Add((await Embedder.EmbedAsync([text]))[0]);
        }

        var together = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => Embedder.EmbedAsync([texts[i % texts.Length]]))));
        var bulk = await Embedder.EmbedAsync([.. Enumerable.Range(0, 200).Select(i => texts[i % texts.Length])]);

        for (var i = 0; i < together.Length; i++)
        {
            Assert.That(Cosine(together[i][0], alone[i % texts.Length]), Is.EqualTo(1.0).Within(1e-5));
        }
        for (var i = 0; i < bulk.Length; i++)
        {
            Assert.That(Cosine(bulk[i], alone[i % texts.Length]), Is.EqualTo(1.0).Within(1e-5), $"bulk text {i}");
        }
    }
}
