using System.Threading.Channels;
using FastBertTokenizer;
using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntime;

namespace SessionBuddy.Memory.Embeddings;

/// <summary>
/// The built-in embedder: all-MiniLM-L6-v2 (<see cref="MiniLmModel"/>), mean-pooled over the attention mask
/// and L2-normalised, as sentence-transformers does. Concurrent requests are micro-batched: one inference
/// thread takes whatever is queued and runs it as one padded batch, so simultaneous stores and searches
/// share a model run instead of contending for the two cores. Requests of a few texts go before the rest
/// of a large batch, so a search waits for at most one chunk of a bulk import.
/// </summary>
public sealed class MiniLmEmbedder : IEmbeddingGenerator<string, Embedding<float>>
{
    // A chunk holds at most this many texts and this many (padded) tokens.
    private const int MaxChunkTexts = 64;
    private const int MaxChunkTokens = 8_192;

    private static readonly Lazy<MiniLmEmbedder> SharedEmbedder = new(() => new MiniLmEmbedder(() => MiniLmModel.Shared));

    private readonly Channel<Request> _queue = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });
    private readonly EmbeddingGeneratorMetadata _metadata = new("builtin", null, MiniLmModel.ModelId, MiniLmModel.Dimensions);
    private readonly Lazy<MiniLmModel> _model;

    private MiniLmEmbedder(Func<MiniLmModel> model)
    {
        _model = new Lazy<MiniLmModel>(model);
        // A dedicated thread: inference is synchronous and long, which the thread pool should not absorb.
        new Thread(Run) { IsBackground = true, Name = "MiniLM inference" }.Start();
    }

    /// <summary>The process-wide embedder (model loaded on first use or by <see cref="Preload"/>).</summary>
    public static MiniLmEmbedder Shared => SharedEmbedder.Value;

    /// <summary>Starts loading the model in the background, so the first request does not wait ~2 s.</summary>
    public void Preload() => _queue.Writer.TryWrite(new Request([], new TaskCompletionSource<float[][]>()));

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var vectors = await EmbedAsync(values.ToArray(), cancellationToken);
        var now = DateTimeOffset.UtcNow;
        return [.. vectors.Select(v => new Embedding<float>(v) { ModelId = MiniLmModel.ModelId, CreatedAt = now })];
    }

    public Task<float[][]> EmbedAsync(string[] texts, CancellationToken cancellationToken = default)
    {
        if (texts.Length == 0)
        {
            return Task.FromResult(Array.Empty<float[]>());
        }
        var completion = new TaskCompletionSource<float[][]>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Writer.TryWrite(new Request(texts, completion));
        return completion.Task.WaitAsync(cancellationToken);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(_metadata) ? _metadata
        : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : null;

    // Shared by every container in the process; nothing to release per registration.
    public void Dispose()
    {
    }

    private void Run()
    {
        BertTokenizer? tokenizer = null;
        var active = new List<Work>();
        while (true)
        {
            if (active.Count == 0 && !_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                return;
            }
            while (_queue.Reader.TryRead(out var request))
            {
                active.Add(new Work(request));
            }
            try
            {
                tokenizer ??= _model.Value.CreateTokenizer();
            }
            catch (Exception ex)
            {
                foreach (var work in active)
                {
                    work.Request.Completion.TrySetException(new EmbeddingUnavailableException($"the built-in embedder could not load: {ex.Message}", ex));
                }
                active.Clear();
                continue;
            }

            var chunk = TakeChunk(active, tokenizer);
            try
            {
                var vectors = Infer(chunk);
                for (var i = 0; i < chunk.Count; i++)
                {
                    chunk[i].Work.Complete(chunk[i].Index, vectors[i]);
                }
            }
            catch (Exception ex)
            {
                foreach (var work in chunk.Select(c => c.Work).Distinct())
                {
                    work.Request.Completion.TrySetException(new EmbeddingUnavailableException($"the built-in embedder failed: {ex.Message}", ex));
                    work.Failed = true;
                }
            }
            active.RemoveAll(w => w.Failed || w.IsDone);
        }
    }

    // Small requests first (a search, one store), then the oldest bulk request; each text tokenised once.
    private static List<Pending> TakeChunk(List<Work> active, BertTokenizer tokenizer)
    {
        var chunk = new List<Pending>();
        var longest = 0;
        foreach (var work in active.Where(w => w.Remaining <= 4).Concat(active.Where(w => w.Remaining > 4)))
        {
            while (work.HasNext && chunk.Count < MaxChunkTexts)
            {
                var (index, ids) = work.Peek(tokenizer);
                var padded = Math.Max(longest, ids.Length) * (chunk.Count + 1);
                if (chunk.Count > 0 && padded > MaxChunkTokens)
                {
                    return chunk;
                }
                work.Advance();
                longest = Math.Max(longest, ids.Length);
                chunk.Add(new Pending(work, index, ids));
            }
        }
        return chunk;
    }

    private float[][] Infer(List<Pending> chunk)
    {
        var session = _model.Value.Session;
        var batch = chunk.Count;
        var length = chunk.Max(p => p.Ids.Length);
        var ids = new long[batch * length];
        var mask = new long[batch * length];
        for (var b = 0; b < batch; b++)
        {
            chunk[b].Ids.CopyTo(ids, b * length);
            Array.Fill(mask, 1L, b * length, chunk[b].Ids.Length);
        }
        long[] shape = [batch, length];
        using var inputIds = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var attentionMask = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var tokenTypes = OrtValue.CreateTensorValueFromMemory(new long[batch * length], shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(
            runOptions, ["input_ids", "attention_mask", "token_type_ids"], [inputIds, attentionMask, tokenTypes], ["last_hidden_state"]);
        var hidden = outputs[0].GetTensorDataAsSpan<float>();

        const int dimensions = MiniLmModel.Dimensions;
        var vectors = new float[batch][];
        for (var b = 0; b < batch; b++)
        {
            var vector = new float[dimensions];
            var tokens = chunk[b].Ids.Length;
            for (var t = 0; t < tokens; t++)
            {
                var row = hidden.Slice((b * length + t) * dimensions, dimensions);
                for (var d = 0; d < dimensions; d++)
                {
                    vector[d] += row[d];
                }
            }
            var norm = 0f;
            for (var d = 0; d < dimensions; d++)
            {
                vector[d] /= tokens;
                norm += vector[d] * vector[d];
            }
            norm = MathF.Sqrt(norm);
            for (var d = 0; d < dimensions && norm > 0; d++)
            {
                vector[d] /= norm;
            }
            vectors[b] = vector;
        }
        return vectors;
    }

    private sealed record Request(string[] Texts, TaskCompletionSource<float[][]> Completion);

    private readonly record struct Pending(Work Work, int Index, long[] Ids);

    /// <summary>A request under way: its texts longest-last (so chunks pad little), results by position.</summary>
    private sealed class Work(Request request)
    {
        private readonly int[] _order = [.. Enumerable.Range(0, request.Texts.Length).OrderBy(i => request.Texts[i].Length)];
        private readonly float[][] _vectors = new float[request.Texts.Length][];
        private int _next;
        private int _completed;
        private long[]? _peeked;

        public Request Request { get; } = request;

        public bool Failed { get; set; }

        public int Remaining => _order.Length - _next;

        public bool HasNext => _next < _order.Length;

        public bool IsDone => _completed == _order.Length;

        public (int Index, long[] Ids) Peek(BertTokenizer tokenizer)
        {
            // The tokenizer reuses its buffers: the ids are copied out.
            _peeked ??= tokenizer.Encode(BertText.Normalize(Request.Texts[_order[_next]]), MiniLmModel.MaxTokens).InputIds.ToArray();
            return (_order[_next], _peeked);
        }

        public void Advance()
        {
            _next++;
            _peeked = null;
        }

        public void Complete(int index, float[] vector)
        {
            _vectors[index] = vector;
            if (++_completed == _order.Length)
            {
                Request.Completion.TrySetResult(_vectors);
            }
        }
    }
}
