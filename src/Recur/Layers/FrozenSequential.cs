using Recur.Tensors;
using Recur.Training;

namespace Recur.Layers;

/// <summary>
/// A copy of a <see cref="Sequential"/> for generation: its weights as they are when the copy is made, laid out for
/// streaming steps (each LSTM layer's W_ih and W_hh interleaved for the batch-1 matrix–vector products, see
/// <see cref="Cells.LstmStreamWeights"/>; a token model's embedding folded into its first layer's input product).
/// Training or loading the original later does not change the copy: make a new
/// one then. The numbers are those of <see cref="Sequential.Step"/> up to float rounding (the products add in
/// another order).
/// </summary>
public sealed class FrozenSequential
{
    private readonly Sequential _model;
    private readonly ScratchBuffer _scratch = new();
    private readonly FrozenStackStep? _stack;   // a batch-1 step of an LSTM stack and its head as one parallel job

    public FrozenSequential(Sequential model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = new Sequential(model.Options, new Rng(0));
        var from = model.NamedParameters;
        var to = _model.NamedParameters;
        for (int i = 0; i < from.Count; i++) from[i].Parameter.Value.Span.CopyTo(to[i].Parameter.Value.Span);
        for (int k = 0; k < _model.Rnn.Count; k++)
            if (k == 0 && _model.Embedding is { } e) _model.Rnn[0].Freeze(e.Weight.Value.Span, e.VocabSize);
            else _model.Rnn[k].Freeze();
        _stack = FrozenStackStep.TryCreate(_model);
    }

    public SequentialOptions Options => _model.Options;

    /// <summary>True when a step runs as one parallel job over every layer and the head (LSTM stacks).</summary>
    internal bool StepsAsOneJob => _stack is not null;

    /// <summary>Zero streaming states (one per recurrent module), batch <paramref name="batch"/>.</summary>
    public RecurrentState[] CreateState(int batch = 1) => _model.CreateStreamState(batch);

    /// <summary>One time step for one stream of tokens: id → logits <c>[O]</c>; updates <paramref name="state"/>.
    /// Not thread-safe: one caller at a time.</summary>
    public void Step(int token, RecurrentState[] state, Span<float> logits)
    {
        if (_stack is null || !_stack.TryStep(token, state, logits)) _model.Step(token, state, logits, _scratch);
    }
}
