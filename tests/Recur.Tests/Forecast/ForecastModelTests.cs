using Recur.Data;
using Recur.Tasks;
using Recur.Tests.CharLm;
using Recur.Training;

namespace Recur.Tests.Forecast;

/// <summary>A tiny forecaster learns a clean sine better than persistence; its file round-trips; intervals cover.</summary>
public class ForecastModelTests
{
    internal static double[] Sine(int n) => Enumerable.Range(0, n).Select(i => 3 + 2 * Math.Sin(2 * Math.PI * i / 25.0)).ToArray();

    private static (ForecastModel Model, ForecastFrame Frame, ForecastTrainingSummary Summary) Train(string strategy = "direct", int horizon = 1, float dropout = 0.1f)
    {
        var config = new ForecastConfig { Hidden = 16, Layers = 2, Dropout = dropout, Window = 12, Horizon = horizon, Strategy = strategy };
        var frame = new ForecastFrame(SeriesTable.FromValues(Sine(400)), config.ToFrameSettings(testSize: 50) with { Horizon = config.Outputs });
        var model = ForecastModel.Create(config, frame, seed: 1);
        var summary = new ForecastTrainer(model, frame, new ForecastTrainingOptions { Epochs = 25, Batch = 16, LearningRate = 1e-2f }).Run();
        model.SetResidualSigma(ForecastEvaluation.ResidualSigma(model, frame, horizon));
        return (model, frame, summary);
    }

    [Fact]
    public void A_tiny_lstm_beats_persistence_on_a_clean_sine()
    {
        var (model, frame, summary) = Train();
        Assert.True(summary.History[^1].TrainLoss < summary.History[0].TrainLoss);
        var report = ForecastEvaluation.Run(model, frame, new EvaluationSettings { ArOrder = 12, McSamples = 20 });
        var persistence = report.Results.Single(r => r.Name == "persistence").Scores.Rmse;
        Assert.True(report.ModelResult.Scores.Rmse < 0.5 * persistence, $"model {report.ModelResult.Scores.Rmse} vs persistence {persistence}");
        Assert.Equal(25, report.Season);
        Assert.True(report.Coverage > 0.5);
        Assert.Equal(50, report.TestPoints);
        Assert.Equal(report.TestPoints, report.Lower.Length);
    }

    [Fact]
    public void Direct_and_recursive_multi_step_forecasts_have_the_horizon()
    {
        var (model, frame, _) = Train("recursive", horizon: 3, dropout: 0f);
        var report = ForecastEvaluation.Run(model, frame, new EvaluationSettings { Horizon = 3, ArOrder = 12 });
        Assert.Equal(48, report.TestPoints);
        Assert.True(report.ModelResult.Scores.Rmse < report.Results.Single(r => r.Name == "persistence").Scores.Rmse);
        var (direct, dframe, _) = Train("direct", horizon: 3, dropout: 0f);
        Assert.Equal(3, direct.Config.Outputs);
        var f = new ForecastPredictor(direct, dframe).Forecast([dframe.Count], 3);   // past the end
        Assert.Equal(3, f.GetLength(1));
        Assert.All(Enumerable.Range(0, 3), k => Assert.InRange(f[0, k], 0, 6));
    }

    [Fact]
    public void Model_file_round_trip_keeps_weights_scalers_and_config()
    {
        using var dir = new TempDir();
        var (model, frame, _) = Train();
        string path = dir.File("f.safetensors");
        model.Save(path);
        Assert.False(File.Exists(path + ".tmp"));
        var loaded = ForecastModel.Load(path);
        Assert.Equal(model.Config.ToJson(), loaded.Config.ToJson());
        Assert.Equal(model.Scalers.Target, loaded.Scalers.Target);
        var again = loaded.FrameFor(frame.Table);
        int[] taus = [frame.Count - 5, frame.Count];
        var a = new ForecastPredictor(model, frame).Forecast(taus, 1);
        var b = new ForecastPredictor(loaded, again).Forecast(taus, 1);
        Assert.Equal(a[0, 0], b[0, 0], 5);
        Assert.Equal(a[1, 0], b[1, 0], 5);
        File.WriteAllText(dir.File("bad.safetensors"), "not a model");
        Assert.Throws<InvalidDataException>(() => ForecastModel.Load(dir.File("bad.safetensors")));
    }

    [Fact]
    public void A_minutes_budget_stops_training_by_time()
    {
        var config = new ForecastConfig { Hidden = 8, Layers = 1, Dropout = 0, Window = 10 };
        var frame = new ForecastFrame(SeriesTable.FromValues(Sine(3000)), config.ToFrameSettings(testSize: 20));
        var model = ForecastModel.Create(config, frame, 1);
        var summary = new ForecastTrainer(model, frame, new ForecastTrainingOptions { Minutes = 0.01, Batch = 8 }).Run();
        Assert.Equal("time budget", summary.StopReason);
        Assert.InRange(summary.Seconds, 0.6, 30);   // generous: the machine is shared
    }

    [Fact]
    public void Nan_loss_stops_training_with_a_clear_message()
    {
        var y = Sine(200);
        var config = new ForecastConfig { Hidden = 4, Layers = 1, Dropout = 0, Window = 5 };
        var frame = new ForecastFrame(SeriesTable.FromValues(y), config.ToFrameSettings(testSize: 20));
        var model = ForecastModel.Create(config, frame, 1);
        model.Network.Head.Bias.Value.Span[0] = float.NaN;
        var e = Assert.Throws<ForecastDivergedException>(() => new ForecastTrainer(model, frame, new ForecastTrainingOptions { Epochs = 1 }).Run());
        Assert.Contains("epoch 1", e.Message);
    }
}
