using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace SessionBuddy.ServiceDefaults.Telemetry;

/// <summary>
/// What every exported span would otherwise carry that a reader of a trace does not need; measured with
/// <c>bench gateway --telemetry off,on</c> (bench/README.md, "Cost of telemetry"): MassTransit's spans were three
/// quarters of the ~10 KB exported per tool call, most of it addresses, message types and ids repeated on every span.
/// </summary>
public static class TraceTrimming
{
    /// <summary>
    /// MassTransit's own attributes that repeat what the span's name, its <c>messaging.destination.name</c> and
    /// <c>messaging.message.id</c> already say, or ids of the conversation the trace id already ties together.
    /// </summary>
    public static readonly string[] RedundantMassTransitTags =
    [
        "messaging.masstransit.destination_address",
        "messaging.masstransit.source_address",
        "messaging.masstransit.input_address",
        "messaging.masstransit.message_types",
        "messaging.masstransit.message_id",
        "messaging.masstransit.initiator_id",
        "messaging.masstransit.request_id",
        "messaging.masstransit.consumer_type",
        "messaging.message.conversation_id",
        "peer.address",
    ];

    /// <summary>
    /// MassTransit names the spans of a request's reply after the requester's own temporary endpoint ("bus"): the
    /// responder's send and the requester's receive and process. The caller's span already ends when the reply is in.
    /// </summary>
    public static readonly string[] ReplySpanNames = ["bus send", "bus receive", "bus process"];

    /// <summary>Removes <see cref="RedundantMassTransitTags"/> from MassTransit's spans as they end, before they are exported.</summary>
    public sealed class MassTransitTagTrimmer : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data)
        {
            if (data.Source.Name != "MassTransit")
            {
                return;
            }
            foreach (var tag in RedundantMassTransitTags)
            {
                data.SetTag(tag, null);
            }
        }
    }

    /// <summary>
    /// Drops, before anything about them is recorded:
    /// <list type="bullet">
    /// <item>the spans of request replies (<see cref="ReplySpanNames"/>);</item>
    /// <item>the send spans of bookkeeping messages a service declared untraced with
    /// <see cref="TraceTrimmingExtensions.AddUntracedMessage{T}"/> (audit entries, usage samples): they are not what
    /// a reader of a tool call's trace looks for, and for a write they were a third of its spans;</item>
    /// <item>MassTransit's "process" span, which it opens inside its "receive" span for the same message: the consumer's
    /// SQL and sends then hang under the receive span, one span per handled message instead of two;</item>
    /// <item>SQL commands outside any span (<see cref="IsBackgroundSql"/>): the outbox's and the jobs' polling, each of
    /// which would otherwise be a trace of its own.</item>
    /// </list>
    /// A dropped send without a parent span in its process is still created, unrecorded, and MassTransit puts its
    /// unsampled trace context into the message, so the receiving service records nothing of that message either
    /// (<see cref="SendOutsideTraceAsync"/>). Every other span is decided by <paramref name="inner"/>.
    /// </summary>
    public sealed class TrimmingSampler(Sampler inner, IReadOnlySet<string> untracedSendSpans) : Sampler
    {
        private static readonly SamplingResult Drop = new(SamplingDecision.Drop);

        public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
            samplingParameters.Kind switch
            {
                ActivityKind.Producer or ActivityKind.Consumer when ReplySpanNames.Contains(samplingParameters.Name) => Drop,
                ActivityKind.Producer when untracedSendSpans.Contains(samplingParameters.Name) => Drop,
                ActivityKind.Consumer when IsProcessUnderReceive(samplingParameters) => Drop,
                ActivityKind.Client when IsBackgroundSql(samplingParameters) => Drop,
                _ => inner.ShouldSample(samplingParameters),
            };

        /// <summary>MassTransit names the span "&lt;endpoint&gt; process" and starts it under the receive span of this process.</summary>
        private static bool IsProcessUnderReceive(in SamplingParameters parameters) =>
            parameters.ParentContext.TraceId != default && !parameters.ParentContext.IsRemote
            && parameters.Name.EndsWith(" process", StringComparison.Ordinal);

        /// <summary>
        /// Npgsql names a text command's span "postgresql" and a physical connection's "CONNECT db"; without a parent
        /// it was issued by background work (outbox dispatch, scheduled jobs), not by a request or a message.
        /// </summary>
        private static bool IsBackgroundSql(in SamplingParameters parameters) =>
            parameters.ParentContext.TraceId == default
            && (parameters.Name == "postgresql" || parameters.Name.StartsWith("CONNECT ", StringComparison.Ordinal));
    }

    /// <summary>
    /// Runs <paramref name="send"/> outside the caller's span, for messages declared with
    /// <see cref="TraceTrimmingExtensions.AddUntracedMessage{T}"/>: under a parent span a dropped send span would not
    /// exist at all, MassTransit would put no trace context into the message, and its receiver would start a trace
    /// of its own; as a root it exists unrecorded and tells the receiver the message is not traced.
    /// </summary>
    public static async Task SendOutsideTraceAsync(Func<Task> send)
    {
        Activity.Current = null; // only for this call: an async method's changes to Activity.Current never reach its caller
        await send();
    }

    /// <summary>The name MassTransit gives the span of publishing <paramref name="messageType"/>: its exchange, then "send".</summary>
    public static string SendSpanName(Type messageType) => $"{messageType.Namespace}:{messageType.Name} send";
}

/// <summary>Which messages a service sends without tracing them (<see cref="TraceTrimming.TrimmingSampler"/>).</summary>
public sealed class TraceTrimmingOptions
{
    public HashSet<string> UntracedSendSpans { get; } = new(StringComparer.Ordinal);
}

public static class TraceTrimmingExtensions
{
    /// <summary>
    /// Publishes of <typeparamref name="TMessage"/> from this process (made outside any span, or inside
    /// <see cref="TraceTrimming.SendOutsideTraceAsync"/>), and their handling wherever it happens, are left out of
    /// traces: for bookkeeping messages (audit entries, usage samples) that would otherwise add spans to every traced
    /// tool call or start a trace every few seconds.
    /// </summary>
    public static IServiceCollection AddUntracedMessage<TMessage>(this IServiceCollection services) where TMessage : class =>
        services.Configure<TraceTrimmingOptions>(options => options.UntracedSendSpans.Add(TraceTrimming.SendSpanName(typeof(TMessage))));
}
