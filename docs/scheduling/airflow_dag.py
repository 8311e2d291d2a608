"""Airflow DAG that renders the branch reports every working morning.

Exit code 1 (some branches failed) fails the task so that it is seen; the
failed branches keep their last good report in latest/, marked stale.
"""

from datetime import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG(
    dag_id="crmstudy_branch_reports",
    schedule="30 6 * * 1-5",
    start_date=datetime(2026, 1, 1),
    catchup=False,
) as dag:
    BashOperator(
        task_id="render_reports",
        cwd="/srv/crmstudy",
        bash_command=(
            ".venv/bin/crmstudy report --data /data/bank --out /srv/reports --params params/defaults.yaml "
            "--timeout 900 --retries 1 --keep 14 --wait --no-progress"
        ),
    )
