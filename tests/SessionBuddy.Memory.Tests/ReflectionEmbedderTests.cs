using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using SessionBuddy.Memory.Embeddings;

namespace SessionBuddy.Memory.Tests;

public class ReflectionEmbedderTests
{
    [Test]
    public async Task Identical_texts_in_one_call_are_embedded_once_and_each_gets_its_vector()
    {
        var model = new CountingGenerator(new LocalEmbedder(256));
        var embedder = new ReflectionEmbedder(model, new EmbeddingSettings("local", LocalEmbedder.ModelId, 256), NullLogger<ReflectionEmbedder>.Instance);

        var outcome = await embedder.EmbedAsync(["make test passed", "lint failed", "make test passed", "make test passed"], CancellationToken.None);

        Assert.That(model.Texts, Is.EqualTo(new[] { "make test passed", "lint failed" }));
        var vectors = outcome.Vectors!;
        Assert.That(vectors, Has.Length.EqualTo(4));
        var alone = (await embedder.EmbedAsync(["lint failed"], CancellationToken.None)).Vectors![0];
        Assert.That(vectors[1], Is.EqualTo(alone));
        Assert.That(vectors[0], Is.EqualTo(vectors[2]).And.EqualTo(vectors[3]).And.Not.EqualTo(vectors[1]));
    }

    [Test]
    public void A_worker_execution_is_embedded_without_its_run_line_and_other_memories_whole()
    {
        const string run = "shell task completed (exit code 0)\nTask: make test\nOutput: ok\nRun: task 0193, 1.5 s\n";

        Assert.That(EmbeddedText.Of("worker_execution", run), Is.EqualTo("shell task completed (exit code 0)\nTask: make test\nOutput: ok"));
        Assert.That(EmbeddedText.Of("reflection", run), Is.EqualTo(run));
        // Stored before the run line existed: embedded whole, as then.
        Assert.That(EmbeddedText.Of("worker_execution", "shell task 0193 completed after 1.5 s\nTask: make test"), Is.EqualTo("shell task 0193 completed after 1.5 s\nTask: make test"));
    }

    private sealed class CountingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner) : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
    {
        public List<string> Texts { get; } = [];

        public override Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
            IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            var texts = values.ToList();
            Texts.AddRange(texts);
            return base.GenerateAsync(texts, options, cancellationToken);
        }
    }
}
