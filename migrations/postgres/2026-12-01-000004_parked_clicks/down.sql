DROP TABLE parked_clicks;
