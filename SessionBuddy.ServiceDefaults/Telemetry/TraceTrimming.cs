using System.Diagnostics;
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
    /// Drops the spans of request replies (<see cref="ReplySpanNames"/>); the responder's reply then carries an
    /// unsampled trace context, so the requester's spans of it are not recorded either. Every other span is
    /// decided by <paramref name="inner"/>.
    /// </summary>
    public sealed class ReplySpansDropped(Sampler inner) : Sampler
    {
        private static readonly SamplingResult Drop = new(SamplingDecision.Drop);

        public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
            samplingParameters.Kind is ActivityKind.Producer or ActivityKind.Consumer && ReplySpanNames.Contains(samplingParameters.Name)
                ? Drop
                : inner.ShouldSample(samplingParameters);
    }
}
