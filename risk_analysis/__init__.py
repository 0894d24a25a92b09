"""Critical path method and Monte Carlo risk analysis of a project schedule.

CPM schedules each activity on its own calendar with P6's date constraints and retained
logic. The simulation samples durations (optionally correlated), risks and costs, reruns
the network in every iteration and reports percentiles, criticality and a sensitivity
ranking. Pure numpy, no Ray: a caller that fans simulation chunks out builds the model once
with ``build_model``, runs ``run_chunk`` for each entry of ``plan_chunks`` and calls
``merge``.
"""

from risk_analysis.chunks import (
    DEFAULT_CHUNK_SIZE,
    ChunkAggregate,
    ChunkSpec,
    combine,
    plan_chunks,
    run_chunk,
)
from risk_analysis.correlation import (
    Correlation,
    CorrelationMatrix,
    CorrelationSpec,
    CorrelationWarning,
    nearest_correlation,
)
from risk_analysis.cpm import (
    ActivitySchedule,
    CpmResult,
    ForwardPass,
    compute_cpm,
    forward_pass,
    schedule_project,
)
from risk_analysis.errors import (
    NetworkError,
    PsplibFormatError,
    RiskAnalysisError,
    SimulationInputError,
)
from risk_analysis.histogram import BinEdges, Histogram, HistogramBin
from risk_analysis.network import Network, build_network, select_calendar
from risk_analysis.pert import PertEstimate, pert_estimate
from risk_analysis.psplib import PsplibInstance, parse_psplib, read_psplib
from risk_analysis.results import (
    CostForecast,
    CostPercentile,
    Criticality,
    CurvePoint,
    FinishForecast,
    FinishPercentile,
    SimulationResult,
    check_confidence_levels,
    merge,
)
from risk_analysis.sensitivity import Driver, Sensitivity
from risk_analysis.simulation import prepare_kernels, simulate
from risk_analysis.uncertainty import SimulationModel, build_model

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ActivitySchedule",
    "BinEdges",
    "ChunkAggregate",
    "ChunkSpec",
    "Correlation",
    "CorrelationMatrix",
    "CorrelationSpec",
    "CorrelationWarning",
    "CostForecast",
    "CostPercentile",
    "CpmResult",
    "Criticality",
    "CurvePoint",
    "Driver",
    "FinishForecast",
    "FinishPercentile",
    "ForwardPass",
    "Histogram",
    "HistogramBin",
    "Network",
    "NetworkError",
    "PertEstimate",
    "PsplibFormatError",
    "PsplibInstance",
    "RiskAnalysisError",
    "Sensitivity",
    "SimulationInputError",
    "SimulationModel",
    "SimulationResult",
    "build_model",
    "build_network",
    "check_confidence_levels",
    "combine",
    "compute_cpm",
    "forward_pass",
    "merge",
    "nearest_correlation",
    "parse_psplib",
    "pert_estimate",
    "plan_chunks",
    "prepare_kernels",
    "read_psplib",
    "run_chunk",
    "schedule_project",
    "select_calendar",
    "simulate",
]
